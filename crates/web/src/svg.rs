//! Pictures drawn on the server as SVG text (pure): the history charts of the instance page and
//! the shields-style badge. No script, no CSS: presentation attributes only, so the pages' strict
//! CSP holds. Every text that comes from data is escaped.

use std::fmt::Write;

/// XML-escapes text for SVG content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The badge colour of a letter (shields' palette).
pub fn colour(letter: Option<&str>) -> &'static str {
    match letter.and_then(|l| l.chars().next()) {
        Some('A') => "#4c1",
        Some('B') => "#97ca00",
        Some('C') => "#dfb317",
        Some('D') => "#fe7d37",
        Some('E') | Some('F') => "#e05d44",
        _ => "#9f9f9f",
    }
}

/// Roughly the width of `text` in 11 px Verdana, as shields estimates it.
fn text_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | '.' | ' ' | '|' | '!' => 4,
            'm' | 'w' | 'M' | 'W' => 10,
            c if c.is_ascii_uppercase() || c.is_ascii_digit() => 8,
            _ => 7,
        })
        .sum()
}

/// A flat badge `label | message` in `colour`.
pub fn badge(label: &str, message: &str, colour: &str) -> String {
    let lw = text_width(label) + 10;
    let mw = text_width(message) + 10;
    let w = lw + mw;
    let (label, message) = (esc(label), esc(message));
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{l}: {m}">"##,
            r##"<title>{l}: {m}</title>"##,
            r##"<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>"##,
            r##"<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>"##,
            r##"<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{c}"/><rect width="{w}" height="20" fill="url(#s)"/></g>"##,
            r##"<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">"##,
            r##"<text x="{lx}" y="14">{l}</text><text x="{mx}" y="14">{m}</text></g></svg>"##
        ),
        w = w,
        lw = lw,
        mw = mw,
        c = colour,
        l = label,
        m = message,
        lx = lw / 2,
        mx = lw + mw / 2,
    )
}

/// One series of a chart: (unix time, value).
pub type Series = Vec<(i64, f64)>;

const W: f64 = 640.0;
const H: f64 = 160.0;
const PAD: f64 = 28.0;

fn frame(title: &str, y_max: f64, y_labels: &[(f64, String)]) -> String {
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = esc(title)
    );
    for (v, label) in y_labels {
        let y = H - PAD - (v / y_max) * (H - 2.0 * PAD);
        let _ = write!(
            s,
            r##"<line x1="{PAD}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="2" y="{ty:.1}" font-size="10" fill="#555">{l}</text>"##,
            x2 = W - 4.0,
            ty = y + 3.0,
            l = esc(label)
        );
    }
    s
}

/// A line chart of one or more series over the same time range; `None` with no points.
pub fn line_chart(
    title: &str,
    series: &[(&str, &str, Series)],
    y_max: f64,
    y_labels: &[(f64, String)],
) -> Option<String> {
    let all: Vec<i64> = series
        .iter()
        .flat_map(|(_, _, s)| s.iter().map(|p| p.0))
        .collect();
    let (t0, t1) = (*all.iter().min()?, *all.iter().max()?);
    let span = (t1 - t0).max(1) as f64;
    let mut s = frame(title, y_max, y_labels);
    for (name, colour, points) in series {
        let coords: Vec<String> = points
            .iter()
            .map(|(t, v)| {
                let x = PAD + ((t - t0) as f64 / span) * (W - PAD - 8.0);
                let y = H - PAD - (v.clamp(0.0, y_max) / y_max) * (H - 2.0 * PAD);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            s,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"##,
            coords.join(" "),
            esc(name)
        );
        for c in &coords {
            if let Some((x, y)) = c.split_once(',') {
                let _ = write!(
                    s,
                    r##"<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>"##
                );
            }
        }
    }
    let _ = write!(
        s,
        r##"<text x="{PAD}" y="{y}" font-size="10" fill="#555">{a}</text><text x="{x}" y="{y}" font-size="10" fill="#555" text-anchor="end">{b}</text></svg>"##,
        y = H - 8.0,
        x = W - 4.0,
        a = day(t0),
        b = day(t1)
    );
    Some(s)
}

/// Bars of uptime per day (share of counted checks up); `None` with no days.
pub fn uptime_bars(days: &[(i64, i64, i64)]) -> Option<String> {
    if days.is_empty() {
        return None;
    }
    let mut s = frame(
        "uptime per day",
        1.0,
        &[
            (0.0, "0 %".into()),
            (0.5, "50 %".into()),
            (1.0, "100 %".into()),
        ],
    );
    let n = days.len() as f64;
    let bw = ((W - PAD - 8.0) / n).max(1.0);
    for (i, (d, up, total)) in days.iter().enumerate() {
        let share = if *total > 0 {
            *up as f64 / *total as f64
        } else {
            0.0
        };
        let h = share * (H - 2.0 * PAD);
        let x = PAD + i as f64 * bw;
        let fill = if share >= 0.999 {
            "#4c1"
        } else if share >= 0.95 {
            "#dfb317"
        } else {
            "#e05d44"
        };
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"><title>{date}: {up} of {total} checks up</title></rect>"##,
            y = H - PAD - h,
            w = (bw - 1.0).max(0.5),
            date = day(d * 86_400),
        );
    }
    let _ = write!(s, "</svg>");
    Some(s)
}

/// `2026-12-06` of a unix time.
pub fn day(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| {
            let d = d.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_escape_and_colour() {
        let b = badge("vigil", "A+ 97", colour(Some("A+")));
        assert!(b.starts_with("<svg") && b.ends_with("</svg>"));
        assert!(b.contains("#4c1") && b.contains("A+ 97"));
        let evil = badge("<script>", "\"&", "#000");
        assert!(
            !evil.contains("<script>")
                && evil.contains("&lt;script&gt;")
                && evil.contains("&quot;&amp;")
        );
        assert_eq!(colour(None), "#9f9f9f");
        assert_eq!(colour(Some("F")), "#e05d44");
    }

    #[test]
    fn charts_need_points() {
        assert!(line_chart("x", &[("a", "#000", vec![])], 100.0, &[]).is_none());
        let c = line_chart(
            "rating",
            &[("rating", "#06c", vec![(0, 50.0), (86_400, 80.0)])],
            100.0,
            &[(0.0, "0".into())],
        )
        .unwrap_or_default();
        assert!(c.contains("<polyline") && c.contains("1970-01-02"));
        assert!(uptime_bars(&[]).is_none());
        assert!(
            uptime_bars(&[(20_000, 287, 288)])
                .unwrap_or_default()
                .contains("287 of 288")
        );
    }
}
