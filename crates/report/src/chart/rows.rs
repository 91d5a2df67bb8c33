//! The frame that bar charts and timelines share: a legend, a column of labels (above each
//! row on a phone), the plot on a value axis, and a column of text at the right.

use super::{
    FONT, Frame, SMALL, Scale, Swatch, X_AXIS_HEIGHT, fit, legend, open, text_width, x_axis,
};
use crate::html::esc;

/// What the frame is drawn from.
pub(crate) struct RowsSpec<'a> {
    /// The `id` its accessible name hangs on.
    pub(crate) id: &'a str,
    /// The `<title>` and the `<desc>`.
    pub(crate) title_desc: (&'a str, &'a str),
    /// The value axis title, with its unit.
    pub(crate) axis: &'a str,
    /// The legend.
    pub(crate) entries: &'a [(Swatch, String)],
    /// Each row's label and its text at the right.
    pub(crate) rows: Vec<(&'a str, &'a str)>,
    /// The widest the label column and the text column may be.
    pub(crate) max_widths: (f64, f64),
    /// A row's height, wide and on a phone (where the label sits above the bar).
    pub(crate) row_heights: (f64, f64),
}

/// Where a row chart's parts go, once its frame is written.
pub(crate) struct Rows {
    /// The plot's left and right edges.
    pub(crate) x0: f64,
    pub(crate) x1: f64,
    /// The top of the first row.
    top: f64,
    /// A row's height here, and the wide one (bars sit at the same place in both).
    row: f64,
    wide_row: f64,
    label_w: f64,
    narrow: bool,
}

impl Rows {
    /// Writes the frame (the `<svg>` opening, the legend, the value axis) into `out`.
    pub(crate) fn begin(out: &mut String, frame: Frame, spec: &RowsSpec<'_>, scale: Scale) -> Rows {
        let longest = |column: usize, size| {
            spec.rows
                .iter()
                .map(|r| text_width(if column == 0 { r.0 } else { r.1 }, size))
                .fold(0.0, f64::max)
        };
        let width = frame.width;
        let label_w = if frame.narrow {
            width - 16.0
        } else {
            longest(0, FONT).clamp(40.0, spec.max_widths.0)
        };
        let note_w = longest(1, SMALL).clamp(20.0, spec.max_widths.1);
        let x0 = if frame.narrow { 8.0 } else { label_w + 14.0 };
        let x1 = width - note_w - 12.0;
        let row = if frame.narrow {
            spec.row_heights.1
        } else {
            spec.row_heights.0
        };
        let place = (8.0, 4.0, width - 16.0);
        let legend_h = legend(out, spec.entries, place, false);
        let top = legend_h + 8.0;
        let bottom = top + row * spec.rows.len().max(1) as f64;
        open(
            out,
            frame,
            spec.id,
            bottom + X_AXIS_HEIGHT + 6.0,
            spec.title_desc,
        );
        legend(out, spec.entries, place, true);
        x_axis(frame, out, scale, (x0, x1), (top, bottom), spec.axis);
        Rows {
            x0,
            x1,
            top,
            row,
            wide_row: spec.row_heights.0,
            label_w,
            narrow: frame.narrow,
        }
    }

    /// Opens row `i` (a `<g>` with its tooltip) and writes its label; returns the row's
    /// middle, where its bar goes.
    pub(crate) fn label(&self, out: &mut String, i: usize, label: &str, tooltip: &str) -> f64 {
        let y = self.top + self.row * i as f64;
        let mid = y + self.row - self.wide_row / 2.0;
        let (lx, ly, anchor) = if self.narrow {
            (self.x0, y + 12.0, "start")
        } else {
            (self.x0 - 6.0, mid, "end")
        };
        w!(
            out,
            "<g><title>{}: {}</title><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\" \
             dominant-baseline=\"central\" fill=\"#222\">{}</text>",
            esc(label),
            esc(tooltip),
            esc(&fit(label, self.label_w, FONT))
        );
        mid
    }

    /// Writes the row's text at the right and closes the row.
    pub(crate) fn note(&self, out: &mut String, mid: f64, text: &str) {
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{mid:.1}\" dominant-baseline=\"central\" font-size=\"{SMALL}\" \
             fill=\"#222\">{}</text></g>",
            self.x1 + 6.0,
            esc(text)
        );
    }
}
