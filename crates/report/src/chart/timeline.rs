//! Timelines: one row per event that starts at 0 (a bomb): a bar to when it ended, a
//! diamond where something happened on the way (the guard caught it), a note at the right.

use super::{
    FONT, SMALL, Scale, Swatch, WIDTH, X_AXIS_HEIGHT, colour, event, fit, legend, open, text_width,
    x_axis,
};
use crate::html::esc;

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

impl Timeline {
    /// The chart as SVG.
    pub(crate) fn svg(&self) -> String {
        let longest = |f: &dyn Fn(&Span) -> &str, size| {
            self.spans
                .iter()
                .map(|s| text_width(f(s), size))
                .fold(0.0, f64::max)
        };
        let label_w = longest(&|s| &s.label, FONT).clamp(40.0, 160.0);
        let note_w = longest(&|s| &s.note, SMALL).clamp(20.0, 150.0);
        let (x0, x1) = (label_w + 14.0, WIDTH - note_w - 12.0);
        let max = self
            .spans
            .iter()
            .flat_map(|s| [s.end, s.mark])
            .flatten()
            .fold(0.0, f64::max);
        let scale = Scale::linear(max);
        let entries = [
            (Swatch::Bar(0), self.legend.0.clone()),
            (Swatch::Event, self.legend.1.clone()),
        ];
        let mut out = String::new();
        let legend_h = legend(&mut out, &entries, (8.0, 4.0, WIDTH - 16.0), false);
        let top = legend_h + 8.0;
        let bottom = top + ROW * self.spans.len().max(1) as f64;
        open(
            &mut out,
            self.id,
            bottom + X_AXIS_HEIGHT + 6.0,
            &self.title,
            &self.desc,
        );
        legend(&mut out, &entries, (8.0, 4.0, WIDTH - 16.0), true);
        x_axis(&mut out, scale, (x0, x1), (top, bottom), &self.axis);
        for (i, span) in self.spans.iter().enumerate() {
            let mid = top + ROW * (i as f64 + 0.5);
            let x_of = |v: f64| x0 + scale.frac(v) * (x1 - x0);
            w!(
                out,
                "<g><title>{}: {}</title><text x=\"{:.1}\" y=\"{mid:.1}\" text-anchor=\"end\" dominant-baseline=\"central\" fill=\"#222\">{}</text>",
                esc(&span.label),
                esc(&span.note),
                x0 - 6.0,
                esc(&fit(&span.label, label_w, FONT))
            );
            let (end, style) = match span.end {
                Some(end) => (x_of(end), String::new()),
                None => (
                    x1,
                    format!(
                        " fill-opacity=\"0.35\" stroke=\"{}\" stroke-dasharray=\"4 3\"",
                        colour(0)
                    ),
                ),
            };
            w!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{}\"{style}/>",
                mid - BAR / 2.0,
                (end - x0).max(0.0),
                colour(0)
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
