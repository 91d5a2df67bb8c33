//! Timelines: one row per event that starts at 0 (a bomb): a bar to when it ended, a
//! diamond where something happened on the way (the guard caught it), a note at the right.

use super::{
    FONT, Frame, SMALL, Scale, Swatch, X_AXIS_HEIGHT, both, colour, event, fit, legend, open,
    text_width, x_axis,
};
use crate::html::esc;

/// The bars' colour: sky blue, under the black diamonds.
const BAR_COLOUR: usize = 5;

/// One row.
pub(crate) struct Span {
    /// The row's label.
    pub(crate) label: String,
    /// When it ended; `None`: it did not (the bar runs off the axis, dashed).
    pub(crate) end: Option<f64>,
    /// When the event on the way happened, if it did.
    pub(crate) mark: Option<f64>,
    /// Text right of the plot.
    pub(crate) note: String,
}

/// A timeline chart.
pub(crate) struct Timeline {
    /// The `id` its accessible name hangs on.
    pub(crate) id: &'static str,
    /// What it shows (the `<title>`).
    pub(crate) title: String,
    /// Its finding or a summary of the data (the `<desc>`).
    pub(crate) desc: String,
    /// The time axis title, with its unit.
    pub(crate) axis: String,
    /// The rows.
    pub(crate) spans: Vec<Span>,
    /// Legend names of the bar and of the diamond.
    pub(crate) legend: (String, String),
}

const ROW: f64 = 34.0;
const BAR: f64 = 18.0;
/// A row on a phone: the label above the bar.
const NARROW_ROW: f64 = 50.0;

impl Timeline {
    /// The chart as SVG, wide and narrow.
    pub(crate) fn svg(&self) -> String {
        both(|frame| self.draw(frame))
    }

    fn draw(&self, frame: Frame) -> String {
        let longest = |f: &dyn Fn(&Span) -> &str, size| {
            self.spans
                .iter()
                .map(|s| text_width(f(s), size))
                .fold(0.0, f64::max)
        };
        let width = frame.width;
        let label_w = if frame.narrow {
            width - 16.0
        } else {
            longest(&|s| &s.label, FONT).clamp(40.0, 160.0)
        };
        let note_w = longest(&|s| &s.note, SMALL).clamp(20.0, 150.0);
        let x0 = if frame.narrow { 8.0 } else { label_w + 14.0 };
        let x1 = width - note_w - 12.0;
        let row = if frame.narrow { NARROW_ROW } else { ROW };
        let max = self
            .spans
            .iter()
            .flat_map(|s| [s.end, s.mark])
            .flatten()
            .fold(0.0, f64::max);
        let scale = Scale::linear(max);
        let entries = [
            (Swatch::Bar(BAR_COLOUR), self.legend.0.clone()),
            (Swatch::Event, self.legend.1.clone()),
        ];
        let mut out = String::new();
        let legend_h = legend(&mut out, &entries, (8.0, 4.0, width - 16.0), false);
        let top = legend_h + 8.0;
        let bottom = top + row * self.spans.len().max(1) as f64;
        open(
            &mut out,
            frame,
            self.id,
            bottom + X_AXIS_HEIGHT + 6.0,
            (&self.title, &self.desc),
        );
        legend(&mut out, &entries, (8.0, 4.0, width - 16.0), true);
        x_axis(frame, &mut out, scale, (x0, x1), (top, bottom), &self.axis);
        let x_of = |v: f64| x0 + scale.frac(v) * (x1 - x0);
        for (i, span) in self.spans.iter().enumerate() {
            let y = top + row * i as f64;
            let mid = y + row - ROW / 2.0;
            let (lx, ly, anchor) = if frame.narrow {
                (x0, y + 12.0, "start")
            } else {
                (x0 - 6.0, mid, "end")
            };
            w!(
                out,
                "<g><title>{}: {}</title><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\" dominant-baseline=\"central\" fill=\"#222\">{}</text>",
                esc(&span.label),
                esc(&span.note),
                esc(&fit(&span.label, label_w, FONT))
            );
            let (end, style) = match span.end {
                Some(end) => (x_of(end), String::new()),
                None => (
                    x1,
                    format!(
                        " fill-opacity=\"0.35\" stroke=\"{}\" stroke-dasharray=\"4 3\"",
                        colour(BAR_COLOUR)
                    ),
                ),
            };
            w!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{}\"{style}/>",
                mid - BAR / 2.0,
                (end - x0).max(0.0),
                colour(BAR_COLOUR)
            );
            if let Some(mark) = span.mark {
                event(&mut out, x_of(mark), mid);
            }
            w!(
                out,
                "<text x=\"{:.1}\" y=\"{mid:.1}\" dominant-baseline=\"central\" font-size=\"{SMALL}\" fill=\"#222\">{}</text></g>",
                x1 + 6.0,
                esc(&span.note)
            );
        }
        out.push_str("</svg>");
        out
    }
}
