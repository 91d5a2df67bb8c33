//! Lines over categories: one line per series across evenly spaced categories (the parent
//! sizes a sweep measured), each point with its spread as a whisker.

use super::{
    FONT, Frame, SMALL, Scale, Swatch, X_AXIS_HEIGHT, both, colour, fit, legend, marker, open,
    text_width, tick_label,
};
use crate::html::esc;

/// One measured point: a middle value and its spread.
#[derive(Clone, Copy)]
pub(crate) struct Point {
    /// The median.
    pub(crate) mid: f64,
    /// The low end of the whisker (a low percentile).
    pub(crate) lo: Option<f64>,
    /// The high end of the whisker.
    pub(crate) hi: Option<f64>,
}

/// One line: a point per category, `None` where it was not measured.
pub(crate) struct Series {
    /// Its legend name.
    pub(crate) name: String,
    /// Points by category.
    pub(crate) points: Vec<Option<Point>>,
}

/// A line chart.
pub(crate) struct Lines {
    /// The `id` its accessible name hangs on.
    pub(crate) id: &'static str,
    /// What it shows (the `<title>`).
    pub(crate) title: String,
    /// Its finding or a summary of the data (the `<desc>`).
    pub(crate) desc: String,
    /// The category axis title, with its unit.
    pub(crate) x_axis: String,
    /// The category labels, left to right.
    pub(crate) categories: Vec<String>,
    /// The value axis title, with its unit.
    pub(crate) y_axis: String,
    /// The lines.
    pub(crate) series: Vec<Series>,
    /// The value axis.
    pub(crate) scale: Scale,
}

const PLOT_HEIGHT: f64 = 300.0;
const NARROW_PLOT_HEIGHT: f64 = 260.0;

impl Lines {
    /// The chart as SVG, wide and narrow.
    pub(crate) fn svg(&self) -> String {
        both(|frame| self.draw(frame))
    }

    fn draw(&self, frame: Frame) -> String {
        let width = frame.width;
        let entries: Vec<(Swatch, String)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (Swatch::Series(i), s.name.clone()))
            .collect();
        let mut out = String::new();
        let legend_h = legend(&mut out, &entries, (8.0, 4.0, width - 16.0), false);
        let ticks = self.scale.ticks();
        let tick_w = ticks
            .iter()
            .map(|t| text_width(&tick_label(*t), SMALL))
            .fold(0.0, f64::max);
        let (x0, x1) = (tick_w + FONT + 22.0, width - 12.0);
        let plot_height = if frame.narrow {
            NARROW_PLOT_HEIGHT
        } else {
            PLOT_HEIGHT
        };
        let (top, bottom) = (legend_h + 14.0, legend_h + 14.0 + plot_height);
        open(
            &mut out,
            frame,
            self.id,
            bottom + X_AXIS_HEIGHT + 6.0,
            (&self.title, &self.desc),
        );
        legend(&mut out, &entries, (8.0, 4.0, width - 16.0), true);
        let y_of = |v: f64| bottom - self.scale.frac(v) * (bottom - top);
        self.y_axis_svg(&mut out, &ticks, (x0, x1), (top, bottom), &y_of);
        let step = (x1 - x0) / self.categories.len().max(1) as f64;
        let x_of = |i: usize| x0 + step * (i as f64 + 0.5);
        self.x_axis_svg(&mut out, (x0, x1), bottom, step, &x_of);
        let n = self.series.len() as f64;
        for (s, series) in self.series.iter().enumerate() {
            let dodge = (s as f64 - (n - 1.0) / 2.0) * 3.0;
            let at = |i: usize, v: f64| (x_of(i) + dodge, y_of(v));
            line(&mut out, s, series, &at);
            for (i, p) in series.points.iter().enumerate() {
                let Some(p) = p else { continue };
                let (x, y) = at(i, p.mid);
                if let (Some(lo), Some(hi)) = (p.lo, p.hi) {
                    let (ylo, yhi) = (y_of(lo), y_of(hi));
                    w!(
                        out,
                        "<path d=\"M{x:.1} {ylo:.1}V{yhi:.1}M{:.1} {ylo:.1}h6M{:.1} {yhi:.1}h6\" stroke=\"{}\" stroke-width=\"1.2\" fill=\"none\"/>",
                        x - 3.0,
                        x - 3.0,
                        colour(s)
                    );
                }
                w!(
                    out,
                    "<g><title>{}, {}: {}</title>",
                    esc(&series.name),
                    esc(self.categories.get(i).map_or("", String::as_str)),
                    esc(&tick_label(p.mid))
                );
                marker(&mut out, s, x, y);
                out.push_str("</g>");
            }
        }
        out.push_str("</svg>");
        out
    }

    fn y_axis_svg(
        &self,
        out: &mut String,
        ticks: &[f64],
        (x0, x1): (f64, f64),
        (top, bottom): (f64, f64),
        y_of: &dyn Fn(f64) -> f64,
    ) {
        let mut last_y = f64::INFINITY;
        for t in ticks {
            let y = y_of(*t);
            w!(
                out,
                "<line x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>"
            );
            if last_y - y >= SMALL + 2.0 {
                w!(
                    out,
                    "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\" dominant-baseline=\"central\" font-size=\"{SMALL}\" fill=\"#444\">{}</text>",
                    x0 - 6.0,
                    esc(&tick_label(*t))
                );
                last_y = y;
            }
        }
        let mid = (top + bottom) / 2.0;
        w!(
            out,
            "<line x1=\"{x0:.1}\" x2=\"{x0:.1}\" y1=\"{top:.1}\" y2=\"{bottom:.1}\" stroke=\"#888\"/>\
             <text transform=\"translate({:.1} {mid:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            FONT,
            esc(&fit(&self.y_axis, bottom - top, FONT))
        );
    }

    fn x_axis_svg(
        &self,
        out: &mut String,
        (x0, x1): (f64, f64),
        y: f64,
        step: f64,
        x_of: &dyn Fn(usize) -> f64,
    ) {
        w!(
            out,
            "<line x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#888\"/>"
        );
        for (i, c) in self.categories.iter().enumerate() {
            let x = x_of(i);
            w!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{SMALL}\" fill=\"#444\">{}</text>",
                y + 5.0,
                y + SMALL + 4.0,
                esc(&fit(c, step - 4.0, SMALL))
            );
        }
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            (x0 + x1) / 2.0,
            y + SMALL + FONT + 12.0,
            esc(&fit(&self.x_axis, x1 - x0, FONT))
        );
    }
}

/// The line through a series' consecutive points (broken where one is missing).
fn line(out: &mut String, s: usize, series: &Series, at: &dyn Fn(usize, f64) -> (f64, f64)) {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, p) in series.points.iter().enumerate() {
        match p {
            Some(p) => {
                let (x, y) = at(i, p.mid);
                w!(d, "{}{x:.1} {y:.1}", if pen_down { "L" } else { "M" });
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !d.is_empty() {
        w!(
            out,
            "<path d=\"{d}\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"/>",
            colour(s)
        );
    }
}
