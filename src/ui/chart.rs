//! Small self-contained SVG line charts (no script, no external font or style), for the HTML
//! scenario report and the planner's page. One `<polyline>` per series with one point per x
//! value, and an optional dashed limit line (a quota). The output is well-formed XML, so it
//! can be embedded in HTML and parsed by an XML reader alike.

use std::fmt::Write;

use quick_xml::escape::escape;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub title: String,
    /// One label per x position (step indexes, copy counts).
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    /// A horizontal line at this value, with its label (a quota).
    pub limit: Option<(f64, String)>,
}

const PALETTE: [&str; 8] = ["#e8590c", "#0b7285", "#2f9e44", "#6f42c1", "#1c7ed6", "#c2255c", "#5c940d", "#495057"];
const W: f64 = 560.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// The chart as an `<svg>` element.
pub fn svg(c: &Chart) -> String {
    let n = c.series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(c.x_labels.len());
    let top_value = c.series.iter().flat_map(|s| s.values.iter().copied()).chain(c.limit.as_ref().map(|l| l.0)).fold(0.0, f64::max);
    let ymax = nice_max(top_value * 1.05);
    // The legend under the x labels: three series a row, or one when the labels are long.
    let per_row = if c.series.iter().any(|s| s.label.chars().count() > 24) { 1 } else { 3 };
    let legend_rows = c.series.len().div_ceil(per_row).max(1) as f64;
    let bottom = 22.0 + 14.0 * legend_rows;
    let h = 180.0 + TOP + bottom;
    let (pw, ph) = (W - LEFT - RIGHT, h - TOP - bottom);
    let x = |i: usize| if n <= 1 { LEFT + pw / 2.0 } else { LEFT + pw * i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + ph - ph * (v / ymax);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {W} {h}" width="{W}" height="{h}" role="img" aria-label="{}" font-family="sans-serif" font-size="11">"#,
        escape(c.title.as_str())
    );
    let _ = write!(out, r#"<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{}</text>"#, escape(c.title.as_str()));
    // Axes and four grid lines.
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e9ecef"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#67707c">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            yy + 4.0,
            num(v)
        );
    }
    let _ = write!(out, r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#868e96"/>"##, TOP + ph, W - RIGHT, TOP + ph);
    // At most ~12 x labels, evenly spaced.
    let every = n.div_ceil(12).max(1);
    for (i, l) in c.x_labels.iter().enumerate().filter(|(i, _)| i % every == 0 || *i + 1 == n) {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#67707c">{}</text>"##,
            x(i),
            h - bottom + 14.0,
            escape(l.as_str())
        );
    }
    if let Some((v, label)) = &c.limit {
        let yy = y(*v);
        let _ = write!(
            out,
            r##"<line class="limit" x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e03131" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#e03131">{}</text>"##,
            W - RIGHT,
            W - RIGHT,
            yy - 4.0,
            escape(label.as_str())
        );
    }
    for (k, s) in c.series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<String> = s.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        let _ = write!(
            out,
            r#"<polyline class="series" data-series="{}" fill="none" stroke="{color}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            escape(s.label.as_str()),
            pts.join(" "),
            escape(format!("{}: {}", s.label, s.values.iter().map(|v| num(*v)).collect::<Vec<_>>().join(", ")).as_str())
        );
        if let Some(last) = s.values.last() {
            let _ = write!(out, r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{color}"/>"#, x(s.values.len() - 1), y(*last));
        }
        // The legend, one row per series along the bottom.
        let lx = LEFT + (k % per_row) as f64 * 170.0;
        let ly = h - bottom + 30.0 + 14.0 * (k / per_row) as f64;
        let _ = write!(
            out,
            r#"<rect x="{lx:.1}" y="{:.1}" width="10" height="3" fill="{color}"/><text x="{:.1}" y="{ly:.1}">{} ({})</text>"#,
            ly - 4.0,
            lx + 14.0,
            escape(s.label.as_str()),
            s.values.last().map(|v| num(*v)).unwrap_or_default()
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_polyline_point_per_value_and_a_limit_line() {
        let c = Chart {
            title: "rules <node>".into(),
            x_labels: (1..=4).map(|i| i.to_string()).collect(),
            series: vec![Series { label: "node".into(), values: vec![0.0, 3.0, 6.0, 60.0] }],
            limit: Some((60.0, "quota 60".into())),
        };
        let s = svg(&c);
        assert!(s.contains("rules &lt;node&gt;"), "{s}");
        let pts = s.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(pts.split(' ').count(), 4);
        assert!(s.contains("class=\"limit\""));
        assert_eq!(nice_max(61.0), 100.0);
        assert_eq!(nice_max(3.0), 5.0);
    }
}
