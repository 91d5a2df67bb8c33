//! HTML pieces: escaping (every string from the JSON goes through [`esc`]), tables that
//! scroll inside their own box, and notes. Cells are HTML the caller built (escaped).

/// Text made safe for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than white space are not allowed in HTML text.
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A table column: its heading and whether it holds numbers (right-aligned).
pub(crate) struct Col {
    pub(crate) name: String,
    pub(crate) numeric: bool,
}

/// A text column.
pub(crate) fn text_col(name: &str) -> Col {
    Col {
        name: name.into(),
        numeric: false,
    }
}

/// A number column.
pub(crate) fn num_col(name: &str) -> Col {
    Col {
        name: name.into(),
        numeric: true,
    }
}

/// One table row: cells of HTML and a class for the row (`mismatch`, `skipped`).
pub(crate) struct Row {
    pub(crate) class: Option<&'static str>,
    pub(crate) cells: Vec<String>,
}

impl Row {
    /// A row without a class.
    pub(crate) fn plain(cells: Vec<String>) -> Row {
        Row { class: None, cells }
    }
}

/// A table in a box that scrolls sideways when it is wider than the page.
/// A table longer than this is folded (`<details>`, no script needed) under its title, so
/// that the findings and charts of the sections after it stay near the top of the page;
/// it is left open when a row is marked (a mismatch must be seen).
const FOLD_ROWS: usize = 12;

pub(crate) fn table(caption: &str, cols: &[Col], rows: &[Row]) -> String {
    // The title stays outside the scrolling box, so it wraps to the page's width.
    let caption = esc(caption);
    let fold = rows.len() > FOLD_ROWS;
    let mut out = String::new();
    if fold {
        let open = if rows.iter().any(|r| r.class == Some("mismatch")) {
            " open"
        } else {
            ""
        };
        w!(
            out,
            "<details class=\"fold\"{open}><summary class=\"table-title\">{caption} \
             <span class=\"rows\">({} rows)</span></summary>",
            rows.len()
        );
    } else {
        w!(out, "<p class=\"table-title\">{caption}</p>");
    }
    w!(
        out,
        "<div class=\"table-wrap\"><table aria-label=\"{caption}\">"
    );
    out.push_str("<thead><tr>");
    for col in cols {
        let class = if col.numeric { " class=\"num\"" } else { "" };
        w!(out, "<th scope=\"col\"{class}>{}</th>", esc(&col.name));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        match row.class {
            Some(class) => w!(out, "<tr class=\"{class}\">"),
            None => out.push_str("<tr>"),
        }
        for (i, cell) in row.cells.iter().enumerate() {
            let numeric = cols.get(i).is_some_and(|c| c.numeric);
            let tag = if i == 0 { "th scope=\"row\"" } else { "td" };
            let end = if i == 0 { "th" } else { "td" };
            let class = if numeric { " class=\"num\"" } else { "" };
            w!(out, "<{tag}{class}>{cell}</{end}>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if fold {
        out.push_str("</details>");
    }
    out
}

/// A paragraph of plain text with a class (`note`, `warn`, `fail`).
pub(crate) fn note(class: &str, text: &str) -> String {
    format!("<p class=\"{class}\">{}</p>", esc(text))
}

/// A cell for an optional value: the escaped text or a dash.
pub(crate) fn cell(value: Option<String>) -> String {
    value.map_or_else(|| "<span class=\"none\">–</span>".into(), |v| esc(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn a_table_has_its_rows() {
        let t = table(
            "t",
            &[text_col("a"), num_col("b")],
            &[Row::plain(vec!["x".into(), "1".into()])],
        );
        assert!(t.contains("<th scope=\"row\">x</th><td class=\"num\">1</td>"));
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    fn rows(n: usize, marked: Option<usize>) -> Vec<Row> {
        (0..n)
            .map(|i| Row {
                class: (Some(i) == marked).then_some("mismatch"),
                cells: vec![i.to_string()],
            })
            .collect()
    }

    #[test]
    fn long_tables_fold_and_stay_open_when_a_row_is_marked() {
        let cols = [text_col("n")];
        let short = table("Short", &cols, &rows(FOLD_ROWS, None));
        assert!(!short.contains("<details") && short.contains("<p class=\"table-title\">Short"));
        let long = table("Long", &cols, &rows(FOLD_ROWS + 1, None));
        assert!(
            long.starts_with("<details class=\"fold\"><summary"),
            "{long}"
        );
        assert!(long.contains("(13 rows)") && long.ends_with("</details>"));
        let marked = table("Marked", &cols, &rows(20, Some(7)));
        assert!(
            marked.starts_with("<details class=\"fold\" open>"),
            "{marked}"
        );
    }
}
