//! The scaling chart: aggregate throughput against threads for one buffer
//! size, with our four strategies, the best peer and the best plain
//! allocation (the other contenders are in the tables). Thread counts are
//! the measured ones, evenly spaced; the throughput axis is logarithmic
//! only when the values span more than 100x.

use plotters::coord::Shift;
use plotters::prelude::*;

/// One line of the chart.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Its legend.
    pub(crate) name: String,
    /// (threads, Mops/s), any order.
    pub(crate) points: Vec<(usize, f64)>,
    /// What it is: drawn by kind.
    pub(crate) style: Style,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// One of ours: solid and thick, a colour each, circles at the points.
    Ours(usize),
    /// The best peer: red, crosses at the points.
    Peer,
    /// Plain allocation: grey, triangles at the points.
    Baseline,
}

const OURS_COLOURS: [RGBColor; 4] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
];

/// Whether the values need a logarithmic axis (they span over 100x).
pub(crate) fn wants_log(values: impl IntoIterator<Item = f64>) -> bool {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    hi > 0.0 && hi / lo > 100.0
}

/// Draws `series` on `root`.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[Series],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let mut threads: Vec<usize> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    threads.sort_unstable();
    threads.dedup();
    if threads.is_empty() {
        root.draw(&Text::new(
            "no threaded results",
            (10, 20),
            ("sans-serif", 16).into_font(),
        ))
        .map_err(err)?;
        return root.present().map_err(err);
    }
    // Measured thread counts at even steps: x is the index.
    let x_of = |t: usize| threads.iter().position(|&x| x == t).unwrap_or(0) as f64;
    let values = || series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let max_y = values().fold(0f64, f64::max).max(1e-3);
    let min_y = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let n = threads.len() as f64;
    let labels = threads.clone();
    let x_fmt = move |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
            labels[i as usize].to_string()
        } else {
            String::new()
        }
    };
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(70);
    let x_range = -0.25f64..(n - 0.75).max(0.25);
    // The two y axes are different types: one body for both.
    macro_rules! finish {
        ($y:expr, $desc:expr) => {{
            let mut chart = builder.build_cartesian_2d(x_range, $y).map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(threads.len() * 4 + 1)
                .x_label_formatter(&x_fmt)
                .disable_x_mesh()
                .y_label_formatter(&|v: &f64| format!("{v:.0}"))
                .x_desc("threads")
                .y_desc($desc)
                .draw()
                .map_err(err)?;
            lines(&mut chart, series, &x_of).map_err(err)?;
            legend(&mut chart).map_err(err)?;
        }};
    }
    if wants_log(values()) {
        finish!(
            (min_y / 1.5..max_y * 1.5).log_scale(),
            "Mops/s, all threads (log scale)"
        );
    } else {
        finish!(0f64..max_y * 1.1, "Mops/s, all threads");
    }
    root.present().map_err(err)
}

type Chart<'a, DB, Y> =
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

fn lines<'a, DB: DrawingBackend + 'a, Y>(
    chart: &mut Chart<'a, DB, Y>,
    series: &[Series],
    x_of: &dyn Fn(usize) -> f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    Y: Ranged<ValueType = f64>,
{
    for s in series {
        let mut points: Vec<(f64, f64)> = s.points.iter().map(|&(t, v)| (x_of(t), v)).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (colour, width) = match s.style {
            Style::Ours(i) => (OURS_COLOURS[i % OURS_COLOURS.len()].to_rgba(), 3),
            Style::Peer => (RGBColor(0xd6, 0x27, 0x28).to_rgba(), 2),
            Style::Baseline => (RGBColor(0x70, 0x70, 0x70).to_rgba(), 2),
        };
        let style = colour.stroke_width(width);
        chart
            .draw_series(LineSeries::new(points.clone(), style))?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        match s.style {
            Style::Ours(_) => {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
            }
            Style::Peer => {
                chart.draw_series(points.iter().map(|&p| Cross::new(p, 5, style)))?;
            }
            Style::Baseline => {
                chart.draw_series(
                    points
                        .iter()
                        .map(|&p| TriangleMarker::new(p, 5, colour.filled())),
                )?;
            }
        }
    }
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, Y>(
    chart: &mut Chart<'a, DB, Y>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_only_past_100x() {
        assert!(!wants_log([1.0, 50.0, 99.0]));
        assert!(wants_log([1.0, 101.0]));
        assert!(!wants_log([0.0, 5.0]));
        assert!(!wants_log([]));
    }

    #[test]
    fn draws_each_series_once_with_measured_thread_ticks() {
        let series = vec![
            Series {
                name: "pool-local".into(),
                points: vec![(1, 60.0), (2, 110.0), (16, 500.0)],
                style: Style::Ours(0),
            },
            Series {
                name: "best peer: zeropool".into(),
                points: vec![(1, 40.0), (2, 70.0), (16, 300.0)],
                style: Style::Peer,
            },
        ];
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
            draw(&root, "4KiB", &series).unwrap();
        }
        // The SVG backend writes each text on a line of its own.
        let text = |t: &str| svg.matches(&format!(">\n{t}\n<")).count();
        assert_eq!(text("pool-local"), 1, "one legend entry");
        assert_eq!(text("best peer: zeropool"), 1);
        for t in ["1", "2", "16"] {
            assert_eq!(text(t), 1, "tick {t}");
        }
        assert_eq!(text("4") + text("1.5"), 0, "only measured counts");
        assert!(!svg.contains("log scale"));
    }
}
