//! `robots.txt` as crawlers read it (RFC 9309), reduced to the one question the monitor asks:
//! may Vigil scan this site at all? A `Disallow: /` in the group for Vigil's agent, or in the
//! `*` group when no group names Vigil, means no: the instance is listed as opted out.

/// The product token Vigil's `User-Agent` starts with, matched case-insensitively.
pub const AGENT: &str = "vigil";

/// True when `text` forbids `agent` the whole site (pure). Unknown lines are ignored, as
/// RFC 9309 asks; an `Allow: /` in the same group wins over `Disallow: /` (the longest match
/// is the same length, and allow wins ties).
pub fn disallows_all(text: &str, agent: &str) -> bool {
    let agent = agent.to_ascii_lowercase();
    // (agents of the group, disallow-all seen, allow-all seen)
    let mut groups: Vec<(Vec<String>, bool, bool)> = Vec::new();
    let mut in_agents = false;
    for raw in text.lines().take(10_000) {
        let line = raw.split('#').next().unwrap_or_default().trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        match key.as_str() {
            "user-agent" => {
                if !in_agents {
                    groups.push((Vec::new(), false, false));
                    in_agents = true;
                }
                if let Some(g) = groups.last_mut() {
                    g.0.push(value.to_ascii_lowercase());
                }
            }
            "disallow" | "allow" => {
                in_agents = false;
                if let Some(g) = groups.last_mut()
                    && value == "/"
                {
                    if key == "disallow" {
                        g.1 = true;
                    } else {
                        g.2 = true;
                    }
                }
            }
            _ => {}
        }
    }
    let named: Vec<_> = groups
        .iter()
        .filter(|g| {
            g.0.iter()
                .any(|a| a != "*" && agent.starts_with(a.as_str()))
        })
        .collect();
    let chosen: Vec<_> = if named.is_empty() {
        groups
            .iter()
            .filter(|g| g.0.iter().any(|a| a == "*"))
            .collect()
    } else {
        named
    };
    let disallow = chosen.iter().any(|g| g.1);
    let allow = chosen.iter().any(|g| g.2);
    disallow && !allow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_for_vigil_or_else_star_decides() {
        assert!(disallows_all("User-agent: *\nDisallow: /\n", AGENT));
        assert!(disallows_all("User-agent: Vigil\nDisallow: /", AGENT));
        assert!(!disallows_all("User-agent: *\nDisallow: /admin\n", AGENT));
        assert!(!disallows_all("User-agent: GPTBot\nDisallow: /\n", AGENT));
        // A group naming Vigil replaces the * group.
        assert!(!disallows_all(
            "User-agent: *\nDisallow: /\n\nUser-agent: vigil\nDisallow:\n",
            AGENT
        ));
        assert!(disallows_all(
            "User-agent: googlebot\nUser-agent: vigil\nDisallow: / # no\n",
            AGENT
        ));
        assert!(!disallows_all(
            "User-agent: *\nDisallow: /\nAllow: /\n",
            AGENT
        ));
        assert!(!disallows_all("", AGENT));
        assert!(!disallows_all("<html>not robots</html>", AGENT));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,400}") {
            let _ = disallows_all(&text, AGENT);
        }
    }
}
