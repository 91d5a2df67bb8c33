//! Timelines: one row per event that starts at 0 (a bomb): a bar to when it ended, a
//! diamond where something happened on the way (the guard caught it), a note at the right.

use super::rows::{Rows, RowsSpec};
use super::{Frame, Scale, Swatch, both, colour, event};

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
        let spec = RowsSpec {
            id: self.id,
            title_desc: (&self.title, &self.desc),
            axis: &self.axis,
            entries: &entries,
            rows: self.spans.iter().map(|s| (&*s.label, &*s.note)).collect(),
            max_widths: (160.0, 150.0),
            row_heights: (ROW, NARROW_ROW),
        };
        let mut out = String::new();
        let rows = Rows::begin(&mut out, frame, &spec, scale);
        let (x0, x1) = (rows.x0, rows.x1);
        let x_of = |v: f64| x0 + scale.frac(v) * (x1 - x0);
        for (i, span) in self.spans.iter().enumerate() {
            let mid = rows.label(&mut out, i, &span.label, &span.note);
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
            rows.note(&mut out, mid, &span.note);
        }
        out.push_str("</svg>");
        out
    }
}
