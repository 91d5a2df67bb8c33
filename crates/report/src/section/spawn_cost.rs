//! What a spawn costs: the median time to start and reap a program, per strategy, as the
//! parent's memory grows (fork copies page tables; vfork and posix_spawn do not).

use super::{Part, items, unreadable};
use crate::chart::{Lines, Point, Scale, Series};
use crate::html::{Col, Row, esc, num_col, table, text_col};
use crate::number::{int, ratio, sig, us};
use crate::read::{count, num, text};
use serde_json::Value;

/// One measured cell: a strategy at a parent size.
struct Cell {
    strategy: String,
    used: Option<String>,
    mib: f64,
    median: f64,
    p10: Option<f64>,
    p90: Option<f64>,
    failed: u64,
}

impl Cell {
    fn read(v: &Value) -> Option<Cell> {
        Some(Cell {
            strategy: text(v, "strategy")?.to_string(),
            used: text(v, "used").map(str::to_string),
            mib: num(v, "parent_mib")?,
            median: num(v, "median_us")?,
            p10: num(v, "p10_us"),
            p90: num(v, "p90_us"),
            failed: count(v, "failed").unwrap_or(0),
        })
    }
}

/// The cells arranged as strategies × parent sizes.
struct Grid<'a> {
    sizes: Vec<f64>,
    strategies: Vec<&'a str>,
    cells: &'a [Cell],
}

impl<'a> Grid<'a> {
    fn new(cells: &'a [Cell]) -> Grid<'a> {
        let mut sizes: Vec<f64> = cells.iter().map(|c| c.mib).collect();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        let mut strategies: Vec<&str> = Vec::new();
        for c in cells {
            if !strategies.contains(&c.strategy.as_str()) {
                strategies.push(&c.strategy);
            }
        }
        Grid {
            sizes,
            strategies,
            cells,
        }
    }

    fn at(&self, strategy: &str, mib: f64) -> Option<&'a Cell> {
        self.cells
            .iter()
            .find(|c| c.strategy == strategy && c.mib == mib)
    }

    /// A strategy's name, with what it resolved to when that differs (`auto (clone3)`).
    fn name(&self, strategy: &str) -> String {
        let used = self
            .cells
            .iter()
            .find(|c| c.strategy == strategy)
            .and_then(|c| c.used.as_deref());
        match used {
            Some(u) if u != strategy => format!("{strategy} ({u})"),
            _ => strategy.to_string(),
        }
    }
}

/// The spawn-cost section.
pub(crate) fn build(doc: &Value) -> Part {
    let mut part = Part::default();
    let Some(list) = items(doc, "results", &mut part) else {
        return part;
    };
    let cells: Vec<Cell> = list.iter().filter_map(Cell::read).collect();
    unreadable(&mut part, list.len() - cells.len(), "result");
    if cells.is_empty() {
        return part;
    }
    let grid = Grid::new(&cells);
    part.finding = Some(finding(&grid));
    let program = text(doc, "program").unwrap_or("a program");
    chart(&mut part, &grid, program);
    let n = count(doc, "n").map_or_else(|| "several".into(), |n| int(n as f64));
    part.push(&table(
        &format!("Median time to spawn and reap {program} ({n} runs per cell; 10th–90th percentile below)"),
        &columns(&grid),
        &rows(&grid),
    ));
    part
}

fn finding(grid: &Grid) -> String {
    let (Some(&small), Some(&large)) = (grid.sizes.first(), grid.sizes.last()) else {
        return "Nothing was measured.".into();
    };
    if let Some(s) = fork_against_vfork(grid, small, large) {
        return s;
    }
    let at_large: Vec<&Cell> = grid.cells.iter().filter(|c| c.mib == large).collect();
    let fastest = at_large.iter().min_by(|a, b| a.median.total_cmp(&b.median));
    let slowest = at_large.iter().max_by(|a, b| a.median.total_cmp(&b.median));
    match (fastest, slowest) {
        (Some(f), Some(s)) if f.strategy != s.strategy && f.median > 0.0 => format!(
            "With a {} MiB parent, {} was fastest at {} and {} slowest at {} ({}).",
            int(large),
            grid.name(&f.strategy),
            us(f.median),
            grid.name(&s.strategy),
            us(s.median),
            ratio(s.median / f.median)
        ),
        (Some(f), _) => format!(
            "With a {} MiB parent, {} took {} (median).",
            int(large),
            grid.name(&f.strategy),
            us(f.median)
        ),
        _ => "Nothing was measured.".into(),
    }
}

/// "At 1,024 MiB, fork+exec costs 69× what vfork-exec does …", when both were measured at
/// more than one size.
fn fork_against_vfork(grid: &Grid, small: f64, large: f64) -> Option<String> {
    let fork = grid.at("fork-exec", large)?;
    let vfork = grid
        .at("vfork-exec", large)
        .filter(|v| v.median > 0.0 && large > small)?;
    let mut s = format!(
        "At {} MiB, fork+exec costs {} what vfork-exec does ({} against {})",
        int(large),
        ratio(fork.median / vfork.median),
        us(fork.median),
        us(vfork.median)
    );
    if let Some(base) = grid.at("vfork-exec", small).filter(|b| b.median > 0.0) {
        let growth = vfork.median / base.median;
        if growth < 1.25 {
            let within = int((growth - 1.0).abs() * 100.0);
            w!(
                s,
                ", and vfork-exec stays flat (within {within}% of its cost at {} MiB)",
                int(small)
            );
        } else {
            w!(
                s,
                ", while vfork-exec grows {} from {} MiB",
                ratio(growth),
                int(small)
            );
        }
    }
    Some(s + ".")
}

fn chart(part: &mut Part, grid: &Grid, program: &str) {
    let values = grid
        .cells
        .iter()
        .flat_map(|c| [Some(c.median), c.p10, c.p90])
        .flatten();
    let scale = Scale::auto(values, 20.0);
    let series = grid
        .strategies
        .iter()
        .map(|s| Series {
            name: grid.name(s),
            points: grid
                .sizes
                .iter()
                .map(|m| {
                    grid.at(s, *m).map(|c| Point {
                        mid: c.median,
                        lo: c.p10,
                        hi: c.p90,
                    })
                })
                .collect(),
        })
        .collect();
    let log = if scale.is_log() { ", log scale" } else { "" };
    let chart = Lines {
        id: "chart-spawn-cost",
        title: "Median spawn + wait time by parent size, per strategy".into(),
        desc: part.finding.clone().unwrap_or_default(),
        x_axis: "parent's resident, dirty memory (MiB)".into(),
        categories: grid.sizes.iter().map(|m| int(*m)).collect(),
        y_axis: format!("median time (µs{log})"),
        series,
        scale,
    };
    part.figure(
        &format!("Median time to spawn {program} and wait for it, per strategy, as the parent's memory grows; whiskers span the 10th to 90th percentile."),
        &chart.svg(),
    );
}

fn columns(grid: &Grid) -> Vec<Col> {
    let mut cols = vec![text_col("strategy")];
    cols.extend(
        grid.sizes
            .iter()
            .map(|m| num_col(&format!("{} MiB (µs)", int(*m)))),
    );
    cols
}

fn rows(grid: &Grid) -> Vec<Row> {
    grid.strategies
        .iter()
        .map(|s| {
            let mut cells = vec![esc(&grid.name(s))];
            cells.extend(grid.sizes.iter().map(|m| match grid.at(s, *m) {
                None => "<span class=\"none\">–</span>".into(),
                Some(c) => {
                    let mut html = esc(&sig(c.median, 3));
                    if let (Some(lo), Some(hi)) = (c.p10, c.p90) {
                        w!(
                            html,
                            "<span class=\"sub\">{}–{}</span>",
                            esc(&sig(lo, 3)),
                            esc(&sig(hi, 3))
                        );
                    }
                    if c.failed > 0 {
                        w!(
                            html,
                            "<span class=\"sub bad\">{} failed</span>",
                            int(c.failed as f64)
                        );
                    }
                    html
                }
            }));
            Row::plain(cells)
        })
        .collect()
}
