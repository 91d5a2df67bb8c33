//! Horizontal bars: one labelled bar per row, its value written at the right.

use super::rows::{Rows, RowsSpec};
use super::{Frame, Scale, Swatch, both, colour};

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
        let entries: Vec<(Swatch, String)> = self
            .legend
            .iter()
            .enumerate()
            .map(|(i, n)| (Swatch::Bar(i), n.clone()))
            .collect();
        let spec = RowsSpec {
            id: self.id,
            title_desc: (&self.title, &self.desc),
            axis: &self.axis,
            entries: &entries,
            rows: self.bars.iter().map(|b| (&*b.label, &*b.text)).collect(),
            max_widths: (230.0, 120.0),
            row_heights: (ROW, NARROW_ROW),
        };
        let mut out = String::new();
        let rows = Rows::begin(&mut out, frame, &spec, self.scale);
        let (x0, x1) = (rows.x0, rows.x1);
        for (i, bar) in self.bars.iter().enumerate() {
            let mid = rows.label(&mut out, i, &bar.label, &bar.text);
            w!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{}\"/>",
                mid - BAR / 2.0,
                (self.scale.frac(bar.value) * (x1 - x0)).max(0.0),
                colour(bar.series),
            );
            rows.note(&mut out, mid, &bar.text);
        }
        out.push_str("</svg>");
        out
    }
}
