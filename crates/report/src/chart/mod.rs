//! Hand-written SVG charts: horizontal bars, lines over categories, and timelines. Each
//! chart is one `<svg>` with a `viewBox` (it scales with the page), a `<title>` and `<desc>`
//! for screen readers, axis ticks, an axis title with its unit, and a legend when there are
//! several series. Colours are the Okabe–Ito palette (safe for colour-blind readers), and a
//! series also differs by its marker's shape.
//!
//! Text widths are estimated (no font metrics here), generously, so labels do not overlap.
//! Charts take plain strings and escape them; they draw, they do not decide what to show.

mod bars;
mod lines;
mod rows;
mod timeline;

pub(crate) use bars::{Bar, Bars};
pub(crate) use lines::{Lines, Point, Series};
pub(crate) use timeline::{Span, Timeline};

use crate::html::esc;
use crate::number;

/// The coordinate system a chart is drawn in. Each chart is drawn twice: for a wide page
/// and for a phone (narrower, labels above the bars), and the stylesheet shows the one that
/// fits, so text keeps a readable size on both.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    /// The `viewBox` width; the page scales it to the column's width.
    pub(crate) width: f64,
    /// Whether it is the phone's drawing.
    pub(crate) narrow: bool,
}

/// The wide drawing.
pub(crate) const WIDE: Frame = Frame {
    width: 640.0,
    narrow: false,
};
/// The phone's drawing.
pub(crate) const NARROW: Frame = Frame {
    width: 360.0,
    narrow: true,
};

/// Both drawings of a chart.
pub(crate) fn both(draw: impl Fn(Frame) -> String) -> String {
    draw(WIDE) + &draw(NARROW)
}
/// Text size of labels, in the chart's units.
pub(crate) const FONT: f64 = 14.0;
/// Text size of tick labels.
pub(crate) const SMALL: f64 = 13.0;

/// Okabe–Ito colours, in the order series take them (yellow, too light on white, left out).
const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
];

/// The colour of series `i`.
pub(crate) fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The estimated width of `s` at `size`.
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

/// `s` shortened with an ellipsis to fit `width` at `size`.
pub(crate) fn fit(s: &str, width: f64, size: f64) -> String {
    let max = ((width / (size * 0.6)).floor() as usize).max(2);
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// A value axis: linear from 0, or logarithmic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scale {
    /// From 0 to `hi`.
    Linear { hi: f64 },
    /// From `lo` to `hi`, both powers of ten.
    Log { lo: f64, hi: f64 },
}

impl Scale {
    /// Linear from 0 to a round number at or above `max`.
    pub(crate) fn linear(max: f64) -> Scale {
        if !(max.is_finite() && max > 0.0) {
            return Scale::Linear { hi: 1.0 };
        }
        let step = nice_step(max / 5.0);
        Scale::Linear {
            hi: (max / step).ceil() * step,
        }
    }

    /// Logarithmic from the power of ten at or below `min` to the one at or above `max`.
    pub(crate) fn log(min: f64, max: f64) -> Scale {
        if !(min.is_finite() && max.is_finite() && min > 0.0 && max >= min) {
            return Scale::linear(max);
        }
        let lo = step_125(min.max(1e-300), false);
        let hi = step_125(max.min(1e300), true);
        Scale::Log {
            lo,
            hi: if hi > lo { hi } else { lo * 10.0 },
        }
    }

    /// Logarithmic when the values span more than `spread` times, else linear.
    pub(crate) fn auto(values: impl Iterator<Item = f64>, spread: f64) -> Scale {
        let (min, max) = values
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if min > 0.0 && max / min > spread {
            Scale::log(min, max)
        } else {
            Scale::linear(max)
        }
    }

    /// Where `v` falls, from 0 (the low end) to 1, clamped.
    pub(crate) fn frac(&self, v: f64) -> f64 {
        let f = match *self {
            Scale::Linear { hi } => v / hi,
            Scale::Log { lo, hi } if v > 0.0 => (v.ln() - lo.ln()) / (hi.ln() - lo.ln()),
            Scale::Log { .. } => 0.0,
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Whether it is logarithmic.
    pub(crate) fn is_log(&self) -> bool {
        matches!(self, Scale::Log { .. })
    }

    /// The tick values.
    pub(crate) fn ticks(&self) -> Vec<f64> {
        match *self {
            Scale::Linear { hi } => {
                let step = nice_step(hi / 5.0);
                (0..=20)
                    .map(|i| i as f64 * step)
                    .take_while(|t| *t <= hi * 1.000_001)
                    .collect()
            }
            Scale::Log { lo, hi } => {
                let first = lo.log10().floor();
                let decades = (hi.log10().ceil() - first).clamp(1.0, 700.0) as i32;
                let steps: &[f64] = if decades <= 3 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                let stride = (decades + 9) / 10;
                let mut ticks = Vec::new();
                for d in (0..=decades).step_by(stride as usize) {
                    let base = 10f64.powf(first + f64::from(d));
                    ticks.extend(
                        steps
                            .iter()
                            .map(|s| base * s)
                            .filter(|t| *t >= lo * 0.999_999 && *t <= hi * 1.000_001),
                    );
                }
                ticks
            }
        }
    }
}

/// 1, 2 or 5 times a power of ten, at or above `x`.
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let base = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * base)
        .find(|s| *s >= x * 0.999_999)
        .unwrap_or(10.0 * base)
}

/// The 1, 2 or 5 times a power of ten at or above (`up`) or at or below `x` (`x` > 0).
fn step_125(x: f64, up: bool) -> f64 {
    let base = 10f64.powf(x.log10().floor());
    let candidates = [1.0, 2.0, 5.0, 10.0].map(|m| m * base);
    if up {
        candidates
            .into_iter()
            .find(|c| *c >= x * 0.999_999)
            .unwrap_or(10.0 * base)
    } else {
        candidates
            .into_iter()
            .rev()
            .find(|c| *c <= x * 1.000_001)
            .unwrap_or(base)
    }
}

/// A tick's label.
pub(crate) fn tick_label(t: f64) -> String {
    number::sig(t, 3)
}

/// What a legend entry shows beside its name.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    /// Series `i`'s colour and marker.
    Series(usize),
    /// A bar in series `i`'s colour.
    Bar(usize),
    /// The black diamond of an event.
    Event,
}

/// Opens an `<svg>` with its accessible name and description.
pub(crate) fn open(
    out: &mut String,
    frame: Frame,
    id: &str,
    height: f64,
    (title, desc): (&str, &str),
) {
    let (class, suffix) = if frame.narrow {
        ("chart-narrow", "-narrow")
    } else {
        ("chart-wide", "")
    };
    let id = format!("{}{suffix}", esc(id));
    let width = frame.width;
    w!(
        out,
        "<svg class=\"chart {class}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {h:.0}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"system-ui, -apple-system, \
         'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\" font-size=\"{FONT}\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(desc),
        h = height.max(1.0),
    );
}

/// Lays out a legend across `width` from (`x`, `y`); returns the height it takes (0 for no
/// entries). With `draw` false nothing is written (to measure first).
pub(crate) fn legend(
    out: &mut String,
    entries: &[(Swatch, String)],
    (x, y, width): (f64, f64, f64),
    draw: bool,
) -> f64 {
    if entries.is_empty() {
        return 0.0;
    }
    let line = FONT + 10.0;
    let (mut cx, mut cy) = (x, y);
    for (swatch, name) in entries {
        let name = fit(name, width - 30.0, FONT);
        let w = 22.0 + text_width(&name, FONT) + 18.0;
        if cx > x && cx + w > x + width {
            cx = x;
            cy += line;
        }
        if draw {
            let mid = cy + line / 2.0;
            draw_swatch(out, *swatch, cx + 8.0, mid);
            w!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" dominant-baseline=\"central\" fill=\"#222\">{}</text>",
                cx + 22.0,
                mid,
                esc(&name)
            );
        }
        cx += w;
    }
    cy + line - y + 6.0
}

fn draw_swatch(out: &mut String, swatch: Swatch, x: f64, y: f64) {
    match swatch {
        Swatch::Series(i) => {
            w!(
                out,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"2\"/>",
                x - 8.0,
                x + 8.0,
                colour(i)
            );
            marker(out, i, x, y);
        }
        Swatch::Bar(i) => w!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"16\" height=\"12\" fill=\"{}\"/>",
            x - 8.0,
            y - 6.0,
            colour(i)
        ),
        Swatch::Event => event(out, x, y),
    }
}

/// Series `i`'s marker at (`x`, `y`): circle, square, triangle, diamond, triangle down, cross.
pub(crate) fn marker(out: &mut String, i: usize, x: f64, y: f64) {
    let c = colour(i);
    let r = 4.5;
    match i % 6 {
        0 => w!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{c}\"/>"
        ),
        1 => w!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{c}\"/>",
            x - 4.0,
            y - 4.0
        ),
        2 => polygon(
            out,
            c,
            &[(x, y - r - 1.0), (x + r + 0.5, y + r), (x - r - 0.5, y + r)],
        ),
        3 => polygon(
            out,
            c,
            &[
                (x, y - r - 1.0),
                (x + r + 1.0, y),
                (x, y + r + 1.0),
                (x - r - 1.0, y),
            ],
        ),
        4 => polygon(
            out,
            c,
            &[(x, y + r + 1.0), (x + r + 0.5, y - r), (x - r - 0.5, y - r)],
        ),
        _ => w!(
            out,
            "<path d=\"M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}\" stroke=\"{c}\" stroke-width=\"2.5\"/>",
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    }
}

/// The black diamond that marks an event on a timeline.
pub(crate) fn event(out: &mut String, x: f64, y: f64) {
    let r = 6.0;
    w!(
        out,
        "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
        y - r,
        x + r,
        y + r,
        x - r
    );
}

fn polygon(out: &mut String, fill: &str, points: &[(f64, f64)]) {
    let points: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    w!(
        out,
        "<polygon points=\"{}\" fill=\"{fill}\"/>",
        points.join(" ")
    );
}

/// A horizontal value axis under a plot from `x0` to `x1` at height `y`: grid lines up to
/// `top`, tick labels and the axis title.
pub(crate) fn x_axis(
    frame: Frame,
    out: &mut String,
    scale: Scale,
    (x0, x1): (f64, f64),
    (top, y): (f64, f64),
    title: &str,
) {
    let mut last_end = f64::NEG_INFINITY;
    for t in scale.ticks() {
        let x = x0 + scale.frac(t) * (x1 - x0);
        w!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>"
        );
        let label = tick_label(t);
        let half = text_width(&label, SMALL) / 2.0;
        if x - half > last_end + 4.0 {
            w!(
                out,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{SMALL}\" fill=\"#444\">{}</text>",
                y + SMALL + 4.0,
                esc(&label)
            );
            last_end = x + half;
        }
    }
    // Centred under the plot when it fits there, else under the whole chart.
    let room = (x0 + x1).min(2.0 * frame.width - x0 - x1) - 8.0;
    let (centre, title) = if text_width(title, FONT) <= room {
        ((x0 + x1) / 2.0, title.to_string())
    } else {
        (frame.width / 2.0, fit(title, frame.width - 12.0, FONT))
    };
    w!(
        out,
        "<line x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#888\"/>\
         <text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
        y + SMALL + FONT + 12.0,
        esc(&title)
    );
}

/// The height [`x_axis`] takes under the plot.
pub(crate) const X_AXIS_HEIGHT: f64 = SMALL + FONT + 20.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(
            Scale::linear(100.0).ticks(),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(Scale::linear(0.0), Scale::Linear { hi: 1.0 });
        assert_eq!(Scale::linear(f64::NAN), Scale::Linear { hi: 1.0 });
        assert!(Scale::linear(1e300).ticks().len() <= 21);
    }

    #[test]
    fn log_ticks_are_one_two_five() {
        let s = Scale::log(480.0, 41000.0);
        assert_eq!(
            s,
            Scale::Log {
                lo: 200.0,
                hi: 50_000.0
            }
        );
        let ticks = [200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4];
        assert_eq!(s.ticks(), ticks);
        assert_eq!(Scale::log(5.0, 5.0).ticks(), vec![5.0, 10.0, 20.0, 50.0]);
        assert_eq!(
            Scale::log(3.0, 3e6).ticks(),
            vec![10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
        );
        assert!(Scale::log(1e-320, 1e308).ticks().len() <= 12);
    }

    #[test]
    fn auto_goes_log_for_a_wide_spread() {
        assert!(Scale::auto([500.0, 41000.0].into_iter(), 20.0).is_log());
        assert!(!Scale::auto([500.0, 700.0].into_iter(), 20.0).is_log());
        assert!(!Scale::auto([0.0, 700.0].into_iter(), 20.0).is_log());
    }

    #[test]
    fn frac_is_clamped() {
        let s = Scale::Log { lo: 1.0, hi: 100.0 };
        assert_eq!(s.frac(10.0), 0.5);
        assert_eq!(s.frac(-1.0), 0.0);
        assert_eq!(s.frac(1e9), 1.0);
    }
}
