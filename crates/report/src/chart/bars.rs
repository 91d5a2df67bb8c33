//! Horizontal bars: one labelled bar per row, its value written at the right.

use super::{
    FONT, Frame, SMALL, Scale, Swatch, X_AXIS_HEIGHT, both, colour, fit, legend, open, text_width,
    x_axis,
};
use crate::html::esc;

/// One bar.
pub(crate) struct Bar {
    /// The row's label, left of the bar.
    pub(crate) label: String,
    /// The bar's length, in the scale's units.
    pub(crate) value: f64,
    /// Its colour (and legend entry).
    pub(crate) series: usize,
    /// The value as written right of the plot.
    pub(crate) text: String,
}

/// A horizontal bar chart.
pub(crate) struct Bars {
    /// The `id` its accessible name hangs on.
    pub(crate) id: &'static str,
    /// What it shows (the `<title>`).
    pub(crate) title: String,
    /// Its finding or a summary of the data (the `<desc>`).
    pub(crate) desc: String,
    /// The value axis title, with its unit.
    pub(crate) axis: String,
    /// The bars, top to bottom.
    pub(crate) bars: Vec<Bar>,
    /// The value axis.
    pub(crate) scale: Scale,
    /// Series names, when the colours mean something.
    pub(crate) legend: Vec<String>,
}

const ROW: f64 = 26.0;
const BAR: f64 = 17.0;
/// A row on a phone: the label above the bar.
const NARROW_ROW: f64 = 44.0;

impl Bars {
    /// The chart as SVG, wide and narrow.
    pub(crate) fn svg(&self) -> String {
        both(|frame| self.draw(frame))
    }

    fn draw(&self, frame: Frame) -> String {
        let longest = |f: &dyn Fn(&Bar) -> &str, size| {
            self.bars
                .iter()
                .map(|b| text_width(f(b), size))
                .fold(0.0, f64::max)
        };
        let width = frame.width;
        let label_w = if frame.narrow {
            width - 16.0
        } else {
            longest(&|b| &b.label, FONT).clamp(40.0, 230.0)
        };
        let value_w = longest(&|b| &b.text, SMALL).clamp(20.0, 120.0);
        let x0 = if frame.narrow { 8.0 } else { label_w + 14.0 };
        let x1 = width - value_w - 12.0;
        let row = if frame.narrow { NARROW_ROW } else { ROW };
        let entries: Vec<(Swatch, String)> = self
            .legend
            .iter()
            .enumerate()
            .map(|(i, n)| (Swatch::Bar(i), n.clone()))
            .collect();
        let mut out = String::new();
        let legend_h = legend(&mut out, &entries, (8.0, 4.0, width - 16.0), false);
        let top = legend_h + 8.0;
        let bottom = top + row * self.bars.len().max(1) as f64;
        open(
            &mut out,
            frame,
            self.id,
            bottom + X_AXIS_HEIGHT + 6.0,
            (&self.title, &self.desc),
        );
        legend(&mut out, &entries, (8.0, 4.0, width - 16.0), true);
        x_axis(
            frame,
            &mut out,
            self.scale,
            (x0, x1),
            (top, bottom),
            &self.axis,
        );
        for (i, bar) in self.bars.iter().enumerate() {
            let y = top + row * i as f64;
            let mid = y + row - ROW / 2.0;
            let (lx, ly, anchor) = if frame.narrow {
                (x0, y + 12.0, "start")
            } else {
                (x0 - 6.0, mid, "end")
            };
            w!(
                out,
                "<g><title>{}: {}</title>\
                 <text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\" dominant-baseline=\"central\" fill=\"#222\">{}</text>\
                 <rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{mid:.1}\" dominant-baseline=\"central\" font-size=\"{SMALL}\" fill=\"#222\">{}</text></g>",
                esc(&bar.label),
                esc(&bar.text),
                esc(&fit(&bar.label, label_w, FONT)),
                mid - BAR / 2.0,
                (self.scale.frac(bar.value) * (x1 - x0)).max(0.0),
                colour(bar.series),
                x1 + 6.0,
                esc(&bar.text),
            );
        }
        out.push_str("</svg>");
        out
    }
}
