//! IPv6 for real. An AAAA record alone proves nothing: the check connects to ports 80 and 443
//! over IPv6 (never an IPv4-mapped address) and over IPv4, reads `GET /`'s head on each, and
//! the pure [`verdict`] says whether IPv6 answers and serves the same site (status, Location
//! and the security headers).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use vigil_guard::AddressPolicy;
use vigil_model::ipv6::{Ipv6Evidence, PortAnswer};
use vigil_tls_probe::head::get_head;

/// Headers compared between the two families: where the site sends visitors, and the security
/// headers the ratings read.
pub const KEY_HEADERS: &[&str] = &[
    "location",
    "strict-transport-security",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
];

/// True for addresses that are really IPv4 (`::ffff:a.b.c.d`) and so prove nothing about IPv6.
pub fn is_v4_mapped(a: &Ipv6Addr) -> bool {
    a.to_ipv4_mapped().is_some()
}

/// Probes `host` on `http_port` (plain) and `https_port` (TLS) at the first usable IPv6 and
/// IPv4 addresses given, all four requests at once, each bounded by `timeout`. An address
/// `guard` refuses is still the one probed, and its answers are the guard's refusal, so the
/// verdict says why instead of silently judging another address.
pub async fn check(
    host: &str,
    v4: &[IpAddr],
    aaaa: &[Ipv6Addr],
    http_port: u16,
    https_port: u16,
    timeout: Duration,
    guard: AddressPolicy,
) -> Ipv6Evidence {
    let v6 = aaaa.iter().find(|a| !is_v4_mapped(a)).copied();
    let v4 = v4.iter().find(|a| a.is_ipv4()).copied();
    let ask = |ip: Option<IpAddr>, port: u16, tls: bool| async move {
        let family = if matches!(ip, Some(IpAddr::V6(_))) {
            6
        } else {
            4
        };
        let ip = ip?;
        let answer = get_head(SocketAddr::new(ip, port), host, tls, timeout, guard).await;
        Some(match answer {
            Ok(head) => PortAnswer {
                port,
                tls,
                family,
                status: Some(head.status),
                key_headers: KEY_HEADERS
                    .iter()
                    .filter_map(|&n| head.header(n).map(|v| (n.to_string(), v.to_string())))
                    .collect(),
                error: None,
            },
            Err(e) => PortAnswer {
                port,
                tls,
                family,
                status: None,
                key_headers: Vec::new(),
                error: Some(e),
            },
        })
    };
    let v6ip = v6.map(IpAddr::V6);
    let (a, b, c, d) = tokio::join!(
        ask(v6ip, http_port, false),
        ask(v6ip, https_port, true),
        ask(v4, http_port, false),
        ask(v4, https_port, true),
    );
    Ipv6Evidence {
        host: host.to_string(),
        aaaa: aaaa.iter().map(ToString::to_string).collect(),
        probed_v6: v6.map(|a| a.to_string()),
        probed_v4: v4.map(|a| a.to_string()),
        answers: [a, b, c, d].into_iter().flatten().collect(),
    }
}

/// The IPv6 verdict.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ipv6Verdict {
    /// An AAAA record that is not IPv4-mapped exists.
    pub aaaa: bool,
    /// Both ports answered HTTP over IPv6.
    pub reachable: bool,
    /// Over both ports, IPv6 answered like IPv4 (status and key headers).
    pub same_site: bool,
    /// What differs or failed, for the report.
    pub notes: Vec<String>,
}

/// Judges the evidence (pure).
pub fn verdict(ev: &Ipv6Evidence) -> Ipv6Verdict {
    let mut notes = Vec::new();
    let aaaa = ev.probed_v6.is_some();
    if !aaaa {
        if ev.aaaa.is_empty() {
            notes.push("no AAAA record".to_string());
        } else {
            notes.push("only IPv4-mapped AAAA records".to_string());
        }
    }
    let get = |family: u8, tls: bool| {
        ev.answers
            .iter()
            .find(|a| a.family == family && a.tls == tls)
    };
    let mut reachable = aaaa;
    let mut same = aaaa;
    for tls in [false, true] {
        let scheme = if tls { "https" } else { "http" };
        let v6 = get(6, tls);
        match v6 {
            Some(a) if a.status.is_some() => {}
            Some(a) => {
                reachable = false;
                same = false;
                notes.push(format!(
                    "{scheme} over IPv6 failed: {}",
                    a.error.as_deref().unwrap_or("no answer")
                ));
                continue;
            }
            None => {
                reachable = false;
                same = false;
                continue;
            }
        }
        let (Some(a6), Some(a4)) = (v6, get(4, tls)) else {
            continue;
        };
        if a4.status.is_none() {
            continue; // nothing to compare with; IPv6 works on its own
        }
        if a6.status != a4.status {
            same = false;
            notes.push(format!(
                "{scheme}: status {} over IPv6 but {} over IPv4",
                a6.status.unwrap_or_default(),
                a4.status.unwrap_or_default()
            ));
        }
        for name in KEY_HEADERS {
            let h6 = a6
                .key_headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v);
            let h4 = a4
                .key_headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v);
            if h6 != h4 {
                same = false;
                notes.push(format!("{scheme}: {name} differs between IPv6 and IPv4"));
            }
        }
    }
    Ipv6Verdict {
        aaaa,
        reachable,
        same_site: same && reachable,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(family: u8, tls: bool, status: Option<u16>, hsts: Option<&str>) -> PortAnswer {
        PortAnswer {
            port: if tls { 443 } else { 80 },
            tls,
            family,
            status,
            key_headers: hsts
                .map(|v| vec![("strict-transport-security".to_string(), v.to_string())])
                .unwrap_or_default(),
            error: status.is_none().then(|| "refused".to_string()),
        }
    }

    fn evidence(answers: Vec<PortAnswer>) -> Ipv6Evidence {
        Ipv6Evidence {
            host: "h".into(),
            aaaa: vec!["2001:db8::1".into()],
            probed_v6: Some("2001:db8::1".into()),
            probed_v4: Some("192.0.2.1".into()),
            answers,
        }
    }

    #[test]
    fn same_answers_are_the_same_site() {
        let ev = evidence(vec![
            answer(6, false, Some(301), None),
            answer(6, true, Some(200), Some("max-age=1")),
            answer(4, false, Some(301), None),
            answer(4, true, Some(200), Some("max-age=1")),
        ]);
        let v = verdict(&ev);
        assert!(v.aaaa && v.reachable && v.same_site, "{v:?}");
    }

    #[test]
    fn a_different_header_is_a_different_site() {
        let ev = evidence(vec![
            answer(6, false, Some(301), None),
            answer(6, true, Some(200), None),
            answer(4, false, Some(301), None),
            answer(4, true, Some(200), Some("max-age=1")),
        ]);
        let v = verdict(&ev);
        assert!(v.reachable && !v.same_site);
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("strict-transport-security"))
        );
    }

    #[test]
    fn an_unreachable_port_is_not_reachable() {
        let ev = evidence(vec![
            answer(6, false, Some(301), None),
            answer(6, true, None, None),
            answer(4, false, Some(301), None),
            answer(4, true, Some(200), None),
        ]);
        let v = verdict(&ev);
        assert!(v.aaaa && !v.reachable && !v.same_site);
    }

    #[test]
    fn mapped_addresses_do_not_count() {
        let mapped: Ipv6Addr = "::ffff:192.0.2.1".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        assert!(is_v4_mapped(&mapped));
        assert!(!is_v4_mapped(&Ipv6Addr::LOCALHOST));
        let mut ev = evidence(Vec::new());
        ev.probed_v6 = None;
        ev.aaaa = vec![mapped.to_string()];
        let v = verdict(&ev);
        assert!(!v.aaaa && !v.reachable);
        assert_eq!(v.notes, vec!["only IPv4-mapped AAAA records".to_string()]);
    }
}
