//! Report tables in Markdown, one per measurement, with every server as a
//! column: the median over runs, min–max, each run, and ratios against
//! named baseline columns — ready to paste into `BENCHMARKS.md`.
//!
//! Formatting only: it knows no server, measurement or unit beyond the
//! strings and numbers it is given.

/// The median, minimum and maximum of some samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// The median (the upper middle one of an even count).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Stat {
    /// The statistics of `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Stat> {
        let mut v = samples.to_vec();
        v.retain(|x| x.is_finite());
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Stat {
            median: v[v.len() / 2],
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// A Markdown table: a title line, a header of columns, rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// Printed above the table.
    pub title: String,
    /// The header's first cell.
    pub corner: String,
    /// The column names.
    pub columns: Vec<String>,
    /// (row label, one cell per column).
    pub rows: Vec<(String, Vec<String>)>,
    /// Printed below the table, one line each.
    pub notes: Vec<String>,
}

impl Grid {
    /// A table titled `title` with `columns`.
    pub fn new(title: impl Into<String>, corner: &str, columns: &[String]) -> Grid {
        Grid {
            title: title.into(),
            corner: corner.to_owned(),
            columns: columns.to_vec(),
            ..Grid::default()
        }
    }

    /// Adds a row.
    pub fn row(&mut self, label: impl Into<String>, cells: Vec<String>) {
        self.rows.push((label.into(), cells));
    }

    /// Adds a row of `values` formatted by `fmt` (`–` where `None`), and a
    /// row of ratios to each of `baselines` (column names; skipped when
    /// absent): value / baseline.
    pub fn values_with_ratios(
        &mut self,
        label: &str,
        values: &[Option<f64>],
        fmt: &dyn Fn(f64) -> String,
        baselines: &[&str],
    ) {
        self.row(
            label,
            values.iter().map(|v| v.map_or(dash(), fmt)).collect(),
        );
        for baseline in baselines {
            let Some(b) = self.columns.iter().position(|c| c == baseline) else {
                continue;
            };
            let Some(base) = values.get(b).copied().flatten() else {
                continue;
            };
            let cells = values
                .iter()
                .map(|v| v.map_or(dash(), |v| ratio(v, base)))
                .collect();
            self.row(format!("÷ {baseline}"), cells);
        }
    }

    /// Prints the table in Markdown, columns padded to line up.
    pub fn print(&self) {
        println!();
        if !self.title.is_empty() {
            println!("{}", self.title);
            println!();
        }
        let ncols = self.columns.len() + 1;
        let mut widths = vec![3; ncols];
        let header: Vec<&str> = std::iter::once(self.corner.as_str())
            .chain(self.columns.iter().map(String::as_str))
            .collect();
        let mut lines: Vec<Vec<&str>> = vec![header];
        for (label, cells) in &self.rows {
            let mut line = vec![label.as_str()];
            line.extend(cells.iter().map(String::as_str));
            line.resize(ncols, "");
            lines.push(line);
        }
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let print_line = |line: &[&str]| {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    let pad = w - cell.chars().count();
                    if i == 0 {
                        format!("{cell}{}", " ".repeat(pad))
                    } else {
                        format!("{}{cell}", " ".repeat(pad))
                    }
                })
                .collect();
            println!("| {} |", cells.join(" | "));
        };
        print_line(&lines[0]);
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    "-".repeat(w + 2)
                } else {
                    format!("{}:", "-".repeat(w + 1))
                }
            })
            .collect();
        println!("|{}|", rule.join("|"));
        for line in &lines[1..] {
            print_line(line);
        }
        for note in &self.notes {
            println!("{note}");
        }
    }
}

/// One measurement over runs: per column the samples in run order. Rows:
/// median, min–max, the ratio of each median to each baseline's, then
/// every run when `per_run`.
pub fn measurement(
    title: &str,
    columns: &[String],
    samples: &[Vec<f64>],
    fmt: &dyn Fn(f64) -> String,
    baselines: &[&str],
    per_run: bool,
) -> Grid {
    let mut grid = Grid::new(title, "", columns);
    let stats: Vec<Option<Stat>> = samples.iter().map(|s| Stat::of(s)).collect();
    let medians: Vec<Option<f64>> = stats.iter().map(|s| s.map(|s| s.median)).collect();
    grid.values_with_ratios("median", &medians, fmt, baselines);
    // The ratio rows go after min–max: move them.
    let ratio_rows = grid.rows.split_off(1);
    if samples.iter().any(|s| s.len() > 1) {
        grid.row(
            "min–max",
            stats
                .iter()
                .map(|s| s.map_or(dash(), |s| format!("{}–{}", fmt(s.min), fmt(s.max))))
                .collect(),
        );
    }
    grid.rows.extend(ratio_rows);
    if per_run {
        let runs = samples.iter().map(Vec::len).max().unwrap_or(0);
        for run in 0..runs {
            grid.row(
                format!("run {}", run + 1),
                samples
                    .iter()
                    .map(|s| s.get(run).map_or(dash(), |v| fmt(*v)))
                    .collect(),
            );
        }
    }
    grid
}

/// `a / b` as `0.85x`.
pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 || !a.is_finite() || !b.is_finite() {
        dash()
    } else {
        format!("{:.2}x", a / b)
    }
}

/// A number with a k/M suffix: `123.4k`, `1.23M`.
pub fn si(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The empty cell.
pub fn dash() -> String {
    "–".to_owned()
}

#[cfg(test)]
mod tests {
    use super::{Grid, Stat, ratio};

    #[test]
    fn stats_take_the_median_and_skip_non_finite_samples() {
        let s = Stat::of(&[3.0, 1.0, f64::NAN, 2.0]).expect("samples");
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of(&[]), None);
        assert_eq!(ratio(1.0, 2.0), "0.50x");
    }

    #[test]
    fn ratio_rows_follow_the_values_for_present_baselines_only() {
        let columns = vec!["a".to_owned(), "b".to_owned()];
        let mut grid = Grid::new("", "", &columns);
        grid.values_with_ratios(
            "v",
            &[Some(2.0), Some(4.0)],
            &|v| v.to_string(),
            &["b", "z"],
        );
        assert_eq!(grid.rows.len(), 2);
        assert_eq!(grid.rows[1].0, "÷ b");
        assert_eq!(grid.rows[1].1, vec!["0.50x".to_owned(), "1.00x".to_owned()]);
    }
}
