//! The cookie jar of the legacy retriever: python-requests keeps cookies in Python's
//! `http.cookiejar.CookieJar` with the `DefaultCookiePolicy`, whose rules differ from a
//! browser's (and from `vigil-cookies`, which follows tough-cookie):
//!
//! * `Set-Cookie` is split on `;` by the Netscape-style parser: the first `key=value` pair is the
//!   cookie, `expires`, `domain`, `path`, `secure`, `version`, `port` and `max-age` are known
//!   attributes (first occurrence wins, except that `Max-Age` always overrides `Expires`), and
//!   every other attribute, `HttpOnly` and `SameSite` included, is kept verbatim in `rest`.
//! * A cookie whose expiry is already past is not stored and deletes a stored namesake.
//! * `Domain` must end the request host (a leading dot is added) and contain a dot; there is no
//!   public-suffix check and no cookie-prefix rule; `Secure` over plain http is accepted.
//! * A `Max-Age` without a value raises inside the parser, which throws away every cookie of
//!   that response, and a malformed month in a strict `Expires` date does the same.
//!
//! Only what the legacy cookie test can observe, or what changes the `Cookie` header sent back,
//! is modelled.

use url::Url;
use vigil_model::LegacyCookie;

pub(crate) use vigil_cookies::py::{int as py_int, is_space as py_space, strip as py_strip};

/// What one attribute value became while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    /// No `=` at all.
    Missing,
    /// A boolean attribute (`Secure`) given without a value, which Python stores as `True`.
    Flag,
    /// Text after `=` (stripped).
    Text(String),
    /// An `expires` date converted to unix seconds, or `None` when it did not parse.
    Time(Option<i64>),
}

/// The parser raised an exception: the jar keeps none of this response's cookies.
struct Raised;

/// Python's `parse_ns_headers`.
fn parse_ns_headers(headers: &[&str], now: i64) -> Result<Vec<Vec<(String, Val)>>, Raised> {
    const KNOWN: [&str; 7] = [
        "expires", "domain", "path", "secure", "version", "port", "max-age",
    ];
    let mut result = Vec::new();
    for header in headers {
        let mut pairs = Vec::new();
        let mut version_set = false;
        for (ii, param) in header.split(';').enumerate() {
            let param = py_strip(param);
            let (key, val) = match param.split_once('=') {
                Some((k, v)) => (py_strip(k), Some(py_strip(v))),
                None => (py_strip(param), None),
            };
            if key.is_empty() {
                if ii == 0 {
                    break;
                }
                continue;
            }
            let mut key = key.to_string();
            let mut val = match val {
                Some(v) => Val::Text(v.to_string()),
                None => Val::Missing,
            };
            if ii != 0 {
                let lc = key.to_lowercase();
                if KNOWN.contains(&lc.as_str()) {
                    key = lc;
                }
                if key == "version" {
                    if let Val::Text(v) = &val {
                        val = Val::Text(strip_quotes(v).to_string());
                    }
                    version_set = true;
                } else if key == "expires"
                    && let Val::Text(v) = &val
                {
                    val = Val::Time(http2time(strip_quotes(v), now)?);
                }
            }
            pairs.push((key, val));
        }
        if !pairs.is_empty() {
            if !version_set {
                pairs.push(("version".to_string(), Val::Text("0".to_string())));
            }
            result.push(pairs);
        }
    }
    Ok(result)
}

fn strip_quotes(text: &str) -> &str {
    let t = text.strip_prefix('"').unwrap_or(text);
    t.strip_suffix('"').unwrap_or(t)
}

/// A cookie between parsing and the policy check.
struct Candidate {
    cookie: LegacyCookie,
    version: i64,
    port_specified: bool,
    /// Expiry already past: delete the stored namesake instead of storing.
    expired: bool,
}

const BOOLEAN_ATTRS: [&str; 2] = ["discard", "secure"];
const VALUE_ATTRS: [&str; 8] = [
    "version",
    "expires",
    "max-age",
    "domain",
    "path",
    "port",
    "comment",
    "commenturl",
];

/// Python's `_normalized_cookie_tuples` plus `_cookie_from_cookie_tuple` for one cookie.
fn build(attrs: Vec<(String, Val)>, req: &Url, now: i64) -> Result<Option<Candidate>, Raised> {
    let mut it = attrs.into_iter();
    let Some((name, value)) = it.next() else {
        return Ok(None);
    };
    let value = match value {
        Val::Text(t) => Some(t),
        Val::Missing | Val::Time(_) | Val::Flag => None,
    };
    let mut standard: Vec<(String, Val)> = Vec::new();
    let mut rest: Vec<(String, Option<String>)> = Vec::new();
    let mut max_age_set = false;
    for (k, v) in it {
        let lc = k.to_lowercase();
        let mut k = if VALUE_ATTRS.contains(&lc.as_str()) || BOOLEAN_ATTRS.contains(&lc.as_str()) {
            lc
        } else {
            k
        };
        let mut v = v;
        let boolean = BOOLEAN_ATTRS.contains(&k.as_str());
        if boolean && v == Val::Missing {
            v = Val::Flag;
        }
        if standard.iter().any(|(n, _)| *n == k) {
            continue;
        }
        if k == "domain" {
            match &v {
                Val::Text(t) => v = Val::Text(t.to_lowercase()),
                _ => return Ok(None),
            }
        }
        if k == "expires" {
            if max_age_set {
                continue;
            }
            if matches!(v, Val::Missing | Val::Time(None)) {
                continue;
            }
        }
        if k == "max-age" {
            max_age_set = true;
            let secs = match &v {
                // `int(None)` raises TypeError, which the jar turns into "no cookies at all".
                Val::Missing => return Err(Raised),
                Val::Text(t) => match py_int(t) {
                    Some(n) => n,
                    None => return Ok(None),
                },
                Val::Time(_) | Val::Flag => return Ok(None),
            };
            k = "expires".to_string();
            v = Val::Time(Some(now.saturating_add(secs)));
        }
        if VALUE_ATTRS.contains(&k.as_str()) || boolean {
            if v == Val::Missing && !matches!(k.as_str(), "port" | "comment" | "commenturl") {
                return Ok(None);
            }
            if let Some(slot) = standard.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = v;
            } else {
                standard.push((k, v));
            }
        } else {
            let text = match v {
                Val::Text(t) => Some(t),
                _ => None,
            };
            if let Some(slot) = rest.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = text;
            } else {
                rest.push((k, text));
            }
        }
    }
    let get = |key: &str| standard.iter().find(|(n, _)| n == key).map(|(_, v)| v);
    let text = |key: &str| match get(key) {
        Some(Val::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let version = match text("version") {
        Some(v) => match py_int(&v) {
            Some(n) => n,
            None => return Ok(None),
        },
        None => 0,
    };
    let secure = match get("secure") {
        Some(Val::Text(t)) => !t.is_empty(),
        Some(Val::Flag) => true,
        _ => false,
    };
    let path = match text("path").filter(|p| !p.is_empty()) {
        Some(p) => escape_path(&p),
        None => {
            let mut p = request_path(req);
            if let Some(i) = p.rfind('/') {
                p.truncate(if version == 0 { i } else { i + 1 });
            }
            if p.is_empty() {
                p = "/".to_string();
            }
            p
        }
    };
    let (domain, domain_specified) = match text("domain") {
        Some(d) if d.starts_with('.') => (d, true),
        Some(d) => (format!(".{d}"), true),
        None => (eff_request_host(req).1, false),
    };
    let (port, port_specified) = match get("port") {
        None => (None, false),
        Some(Val::Text(p)) => (Some(p.chars().filter(|c| !py_space(*c)).collect()), true),
        Some(_) => (Some(request_port(req)), false),
    };
    let (expires, expired) = match get("expires") {
        Some(Val::Time(Some(t))) => (Some(*t), *t <= now),
        _ => (None, false),
    };
    Ok(Some(Candidate {
        cookie: LegacyCookie {
            name,
            value,
            domain,
            domain_specified,
            path,
            secure,
            expires,
            port,
            rest,
        },
        // RFC 2109 cookies (Version=1) are treated as Netscape cookies by the default policy.
        version: if version == 1 { 0 } else { version },
        port_specified,
        expired,
    }))
}

/// The request host without port, lower-cased, and the "effective" host (`.local` appended
/// to a dotless name), as `eff_request_host` computes them.
fn eff_request_host(url: &Url) -> (String, String) {
    let host = url.host_str().unwrap_or_default().to_lowercase();
    let erhn = if !host.contains('.') && !ipv4_tail(&host) {
        format!("{host}.local")
    } else {
        host.clone()
    };
    (host, erhn)
}

/// Python's `IPV4_RE` (`\.\d+$`).
fn ipv4_tail(host: &str) -> bool {
    host.rsplit_once('.')
        .is_some_and(|(_, t)| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
}

/// `request_port`: the explicit port, or "80" whatever the scheme (a quirk of the jar).
fn request_port(url: &Url) -> String {
    url.port()
        .map_or_else(|| "80".to_string(), |p| p.to_string())
}

/// `request_path`: the URL path, escaped and with upper-case percent escapes.
fn request_path(url: &Url) -> String {
    let p = escape_path(url.path());
    if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    }
}

/// `escape_path`: `urllib.parse.quote` with the jar's safe set, then upper-case escapes.
fn escape_path(path: &str) -> String {
    const SAFE: &str = "%/;:@&=+$,!~*'()_.-";
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_alphanumeric() || SAFE.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    // Upper-case existing escapes (%2f -> %2F).
    let bytes: Vec<char> = out.chars().collect();
    let mut fixed = String::with_capacity(out.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        fixed.push(c);
        if c == '%'
            && let (Some(a), Some(b)) = (bytes.get(i + 1), bytes.get(i + 2))
            && a.is_ascii_hexdigit()
            && b.is_ascii_hexdigit()
        {
            fixed.push(a.to_ascii_uppercase());
            fixed.push(b.to_ascii_uppercase());
            i += 3;
            continue;
        }
        i += 1;
    }
    fixed
}

/// `DefaultCookiePolicy.set_ok` for the default settings.
fn set_ok(c: &Candidate, req: &Url) -> bool {
    if c.version > 0 {
        // RFC 2965 cookies are switched off.
        return false;
    }
    let cookie = &c.cookie;
    if cookie.domain_specified {
        let (_, erhn) = eff_request_host(req);
        let domain = cookie.domain.as_str();
        let undotted = domain.strip_prefix('.').unwrap_or(domain);
        if !undotted.contains('.') && !erhn.ends_with(".local") {
            return false;
        }
        // The Netscape rule: the effective host must end with the domain (a leading dot on
        // the host side is tolerated, and dotless hosts match through `.local`).
        let host_ends_with_domain = erhn.ends_with(domain)
            || erhn.ends_with(&format!("{undotted}.local"))
            || erhn.starts_with('.')
            || format!(".{erhn}").ends_with(domain);
        if c.version == 0 && !host_ends_with_domain {
            return false;
        }
    }
    if c.port_specified {
        let req_port = request_port(req);
        let ports = cookie.port.as_deref().unwrap_or_default();
        let mut found = false;
        for p in ports.split(',') {
            if py_int(p).is_none() {
                return false;
            }
            if p == req_port {
                found = true;
                break;
            }
        }
        if !found {
            return false;
        }
    }
    true
}

/// The jar of one legacy session, nested like Python's (`domain -> path -> name`, each level
/// in first-insertion order, emptied levels kept), because that order is the order cookies are
/// sent back in and listed.
#[derive(Debug, Clone, Default)]
pub(crate) struct PyJar {
    domains: Vec<(String, Paths)>,
}

/// One domain's cookies: path -> cookies, in first-insertion order.
type Paths = Vec<(String, Vec<LegacyCookie>)>;

impl PyJar {
    /// Stores the cookies of one response to `req` (`extract_cookies`).
    pub(crate) fn extract(&mut self, headers: &[(String, String)], req: &Url, now: i64) {
        let set_cookie: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        if set_cookie.is_empty() {
            return;
        }
        let Ok(parsed) = parse_ns_headers(&set_cookie, now) else {
            return;
        };
        // Build every cookie first: an exception anywhere drops the whole response's cookies,
        // while a deletion by an expired cookie happens as soon as that cookie is built.
        let mut deletions = Vec::new();
        let mut candidates = Vec::new();
        for attrs in parsed {
            match build(attrs, req, now) {
                Err(Raised) => return,
                Ok(None) => {}
                Ok(Some(c)) if c.expired => deletions.push(c.cookie),
                Ok(Some(c)) => candidates.push(c),
            }
        }
        for d in deletions {
            self.remove(&d.domain, &d.path, &d.name);
        }
        for c in candidates {
            if set_ok(&c, req) {
                self.set(c.cookie);
            }
        }
    }

    fn remove(&mut self, domain: &str, path: &str, name: &str) {
        for (d, paths) in &mut self.domains {
            if d != domain {
                continue;
            }
            for (p, cookies) in paths.iter_mut() {
                if p == path {
                    cookies.retain(|c| c.name != name);
                }
            }
        }
    }

    fn set(&mut self, cookie: LegacyCookie) {
        let di = match self.domains.iter().position(|(d, _)| *d == cookie.domain) {
            Some(i) => i,
            None => {
                self.domains.push((cookie.domain.clone(), Vec::new()));
                self.domains.len() - 1
            }
        };
        let Some((_, paths)) = self.domains.get_mut(di) else {
            return;
        };
        let pi = match paths.iter().position(|(p, _)| *p == cookie.path) {
            Some(i) => i,
            None => {
                paths.push((cookie.path.clone(), Vec::new()));
                paths.len() - 1
            }
        };
        let Some((_, cookies)) = paths.get_mut(pi) else {
            return;
        };
        match cookies.iter_mut().find(|c| c.name == cookie.name) {
            Some(slot) => *slot = cookie,
            None => cookies.push(cookie),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &LegacyCookie> {
        self.domains
            .iter()
            .flat_map(|(_, paths)| paths.iter().flat_map(|(_, cookies)| cookies.iter()))
    }

    /// The `Cookie` header for a request to `url` (`add_cookie_header`), and the jar's clean-up
    /// of expired cookies that follows it.
    pub(crate) fn header_for(&mut self, url: &Url, now: i64) -> Option<String> {
        let (_, erhn) = eff_request_host(url);
        let secure_scheme = matches!(url.scheme(), "https" | "wss");
        let req_path = request_path(url);
        let req_port = request_port(url);
        let mut chosen: Vec<&LegacyCookie> = self
            .iter()
            .filter(|c| {
                let dotdomain = if !c.domain.is_empty() && !c.domain.starts_with('.') {
                    format!(".{}", c.domain)
                } else {
                    c.domain.clone()
                };
                let host_ok = format!(".{erhn}").ends_with(&dotdomain);
                let path_ok = req_path == c.path
                    || (req_path.starts_with(&c.path)
                        && (c.path.ends_with('/')
                            || req_path
                                .get(c.path.len()..)
                                .is_some_and(|r| r.starts_with('/'))));
                let secure_ok = !c.secure || secure_scheme;
                let fresh = c.expires.is_none_or(|e| e > now);
                let port_ok = c
                    .port
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .is_none_or(|p| p.split(',').any(|p| p == req_port));
                host_ok && path_ok && secure_ok && fresh && port_ok
            })
            .collect();
        chosen.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let header = chosen
            .iter()
            .map(|c| match &c.value {
                Some(v) => format!("{}={v}", c.name),
                None => c.name.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        for (_, paths) in &mut self.domains {
            for (_, cookies) in paths.iter_mut() {
                cookies.retain(|c| c.expires.is_none_or(|e| e > now));
            }
        }
        (!header.is_empty()).then_some(header)
    }

    /// The stored cookies in the jar's iteration order.
    pub(crate) fn cookies(&self) -> Vec<LegacyCookie> {
        self.iter().cloned().collect()
    }
}

// ---------------------------------------------------------------------------------------------
// http2time: the jar's lenient date parser, for `Expires`.

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `_timegm`: refuses out-of-range fields, otherwise `calendar.timegm` (days may overflow the
/// month, as Python allows).
fn timegm(yr: i64, mon: i64, day: i64, hr: i64, min: i64, sec: i64) -> Option<i64> {
    if yr >= 1970
        && (1..=12).contains(&mon)
        && (1..=31).contains(&day)
        && (0..=24).contains(&hr)
        && (0..=59).contains(&min)
        && (0..=61).contains(&sec)
    {
        let days = days_from_civil(yr, mon, 1) + day - 1;
        Some(days * 86_400 + hr * 3600 + min * 60 + sec)
    } else {
        None
    }
}

/// The UTC calendar year of a unix time (the reference uses local time; the host's zone is
/// not worth a dependency for a two-digit-year heuristic).
fn year_of(unix: i64) -> i64 {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Python's `http2time`. `Err` when Python raises (a strict date with an unknown month).
fn http2time(text: &str, now: i64) -> Result<Option<i64>, Raised> {
    if let Some(t) = strict_date(text)? {
        return Ok(t);
    }
    Ok(loose_date(text, now))
}

/// The fast path: `Wdy, DD Mon YYYY HH:MM:SS GMT`. `Ok(None)` when the shape does not match.
#[allow(clippy::type_complexity)]
fn strict_date(text: &str) -> Result<Option<Option<i64>>, Raised> {
    let b = text.as_bytes();
    if b.len() != 29 {
        return Ok(None);
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let shape = b"SMTWF".contains(&at(0))
        && at(1).is_ascii_lowercase()
        && at(2).is_ascii_lowercase()
        && text.get(3..5) == Some(", ")
        && text.get(5..7).is_some_and(digits)
        && at(7) == b' '
        && b"JFMASOND".contains(&at(8))
        && at(9).is_ascii_lowercase()
        && at(10).is_ascii_lowercase()
        && at(11) == b' '
        && text.get(12..16).is_some_and(digits)
        && at(16) == b' '
        && text.get(17..19).is_some_and(digits)
        && at(19) == b':'
        && text.get(20..22).is_some_and(digits)
        && at(22) == b':'
        && text.get(23..25).is_some_and(digits)
        && text.get(25..) == Some(" GMT");
    if !shape {
        return Ok(None);
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i64>().ok());
    let mon_name = text.get(8..11).unwrap_or_default().to_lowercase();
    let Some(mon) = MONTHS.iter().position(|m| *m == mon_name) else {
        return Err(Raised);
    };
    let (Some(day), Some(yr), Some(hr), Some(min), Some(sec)) = (
        num(5..7),
        num(12..16),
        num(17..19),
        num(20..22),
        num(23..25),
    ) else {
        return Ok(Some(None));
    };
    let mon = i64::try_from(mon).unwrap_or(0) + 1;
    Ok(Some(timegm(yr, mon, day, hr, min, sec)))
}

/// The loose path: optional weekday, `D[D] Mon YYYY [HH:MM[:SS]] [zone] [(comment)]` with
/// spaces, `-` or `/` between the date fields. Only zones equal to UTC or numeric offsets are
/// understood (others give `None`, as in Python).
fn loose_date(text: &str, now: i64) -> Option<i64> {
    let mut t = text.trim_start_matches(py_space);
    // Drop a weekday: (Sun|Mon|...)[a-z]*,?\s*
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    if t.get(..3)
        .is_some_and(|d| DAYS.contains(&d.to_ascii_lowercase().as_str()))
    {
        let rest = t.get(3..).unwrap_or_default();
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let rest = rest.strip_prefix(',').unwrap_or(rest);
        t = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    }
    let b = t.as_bytes();
    let mut p = 0usize;
    let run = |p: usize, f: &dyn Fn(u8) -> bool| {
        let mut q = p;
        while b.get(q).is_some_and(|c| f(*c)) {
            q += 1;
        }
        q
    };
    // (\s+|[-/])
    let sep = |p: usize| -> Option<usize> {
        let q = run(p, &|c| c.is_ascii_whitespace());
        if q > p {
            Some(q)
        } else if matches!(b.get(p), Some(b'-' | b'/')) {
            Some(p + 1)
        } else {
            None
        }
    };
    let q = run(p, &|c| c.is_ascii_digit());
    if q == p || q - p > 2 {
        return None;
    }
    let day = t.get(p..q)?;
    p = sep(q)?;
    let q = run(p, &|c| c.is_ascii_alphanumeric() || c == b'_');
    if q == p {
        return None;
    }
    let mon = t.get(p..q)?;
    p = sep(q)?;
    let q = run(p, &|c| c.is_ascii_digit());
    if q == p {
        return None;
    }
    let yr = t.get(p..q)?;
    p = q;
    // The rest: optional clock, zone and comment, tried with the clock first.
    let tail = |mut p: usize, with_clock: bool| -> Option<(i64, i64, i64, &str)> {
        let (mut hr, mut min, mut sec) = (0, 0, 0);
        if with_clock {
            let ws = run(p, &|c| c.is_ascii_whitespace());
            p = if ws > p {
                ws
            } else if b.get(p) == Some(&b':') {
                p + 1
            } else {
                return None;
            };
            let h = run(p, &|c| c.is_ascii_digit());
            if h == p || h - p > 2 || b.get(h) != Some(&b':') {
                return None;
            }
            hr = t.get(p..h)?.parse().ok()?;
            let m = h + 1;
            if !(t
                .get(m..m + 2)
                .is_some_and(|x| x.bytes().all(|c| c.is_ascii_digit())))
            {
                return None;
            }
            min = t.get(m..m + 2)?.parse().ok()?;
            p = m + 2;
            if b.get(p) == Some(&b':')
                && t.get(p + 1..p + 3)
                    .is_some_and(|x| x.bytes().all(|c| c.is_ascii_digit()))
            {
                sec = t.get(p + 1..p + 3)?.parse().ok()?;
                p += 3;
            }
        }
        p = run(p, &|c| c.is_ascii_whitespace());
        let mut tz = "";
        let sign = usize::from(matches!(b.get(p), Some(b'-' | b'+')));
        let d = run(p + sign, &|c| c.is_ascii_digit());
        if (2..=4).contains(&(d - (p + sign))) {
            tz = t.get(p..d)?;
            p = d;
        } else {
            let a = run(p, &|c| c.is_ascii_alphabetic());
            let word = t.get(p..a)?;
            let am_pm =
                word.len() == 2 && matches!(word.to_ascii_lowercase().as_str(), "am" | "pm");
            if a > p && !am_pm {
                tz = word;
                p = a;
            }
        }
        p = run(p, &|c| c.is_ascii_whitespace());
        if b.get(p) == Some(&b'(') {
            let w = run(p + 1, &|c| c.is_ascii_alphanumeric() || c == b'_');
            if w > p + 1 && b.get(w) == Some(&b')') {
                p = run(w + 1, &|c| c.is_ascii_whitespace());
            }
        }
        (p == b.len()).then_some((hr, min, sec, tz))
    };
    let (hr, min, sec, tz) = tail(p, true).or_else(|| tail(p, false))?;
    str2time(day, mon, yr, hr, min, sec, tz, now)
}

#[allow(clippy::too_many_arguments)]
fn str2time(
    day: &str,
    mon: &str,
    yr: &str,
    hr: i64,
    min: i64,
    sec: i64,
    tz: &str,
    now: i64,
) -> Option<i64> {
    let mut yr: i64 = yr.parse().ok()?;
    if yr > 9999 {
        return None;
    }
    let mon_lc = mon.to_ascii_lowercase();
    let mon = match MONTHS.iter().position(|m| *m == mon_lc) {
        Some(i) => i64::try_from(i).ok()? + 1,
        None => {
            let m: i64 = mon.parse().ok()?;
            if !(1..=12).contains(&m) {
                return None;
            }
            m
        }
    };
    let day: i64 = day.parse().ok()?;
    if yr < 1000 {
        // The "obvious" century: the one that puts the year closest to now.
        let cur = year_of(now);
        let m = cur % 100;
        let tmp = yr;
        yr = yr + cur - m;
        let m = m - tmp;
        if m.abs() > 50 {
            yr += if m > 0 { 100 } else { -100 };
        }
    }
    let t = timegm(yr, mon, day, hr, min, sec)?;
    let tz = if tz.is_empty() {
        "UTC".to_string()
    } else {
        tz.to_ascii_uppercase()
    };
    let offset = if matches!(tz.as_str(), "GMT" | "UTC" | "UT" | "Z") {
        0
    } else {
        let (sign, body) = match tz.as_bytes().first() {
            Some(b'-') => (-1, tz.get(1..)?),
            Some(b'+') => (1, tz.get(1..)?),
            _ => (1, tz.as_str()),
        };
        let body: String = body.chars().filter(|c| *c != ':').collect();
        if !digits(&body) || body.len() > 4 {
            return None;
        }
        let (h, m) = match body.len() {
            1 | 2 => (body.as_str(), "0"),
            3 => (body.get(..1)?, body.get(1..)?),
            _ => (body.get(..2)?, body.get(2..)?),
        };
        sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
    };
    Some(t - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn jar_with(headers: &[&str], at: &str) -> PyJar {
        let mut jar = PyJar::default();
        let h: Vec<(String, String)> = headers
            .iter()
            .map(|v| ("set-cookie".to_string(), v.to_string()))
            .collect();
        jar.extract(&h, &url(at), NOW);
        jar
    }

    #[test]
    fn attributes_land_in_standard_or_rest() {
        let jar = jar_with(
            &["sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"],
            "https://a.obs.test/",
        );
        let c = &jar.cookies()[0];
        assert_eq!(c.name, "sessionid");
        assert!(c.secure);
        assert_eq!(c.domain, "a.obs.test");
        assert_eq!(
            c.rest,
            vec![
                ("HttpOnly".to_string(), None),
                ("SameSite".to_string(), Some("Lax".to_string()))
            ]
        );
    }

    #[test]
    fn expired_cookies_are_not_kept_and_delete_namesakes() {
        let mut jar = jar_with(&["a=1; Path=/"], "https://a.obs.test/");
        assert_eq!(jar.cookies().len(), 1);
        jar.extract(
            &[("set-cookie".into(), "a=deleted; Path=/; Max-Age=0".into())],
            &url("https://a.obs.test/"),
            NOW,
        );
        assert!(jar.cookies().is_empty());
        let jar = jar_with(
            &["b=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"],
            "https://a.obs.test/",
        );
        assert!(jar.cookies().is_empty());
    }

    #[test]
    fn foreign_domains_are_refused_parent_domains_kept() {
        let jar = jar_with(
            &["x=1; Domain=example.com", "y=1; Domain=obs.test"],
            "https://a.obs.test/",
        );
        let cookies = jar.cookies();
        let names: Vec<_> = cookies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["y"]);
        assert_eq!(jar.cookies()[0].domain, ".obs.test");
    }

    #[test]
    fn prefixes_are_not_enforced_and_max_age_without_value_drops_all() {
        let jar = jar_with(&["__Secure-sessionid=abc; Path=/"], "https://a.obs.test/");
        assert_eq!(jar.cookies().len(), 1);
        let jar = jar_with(&["a=1", "b=2; Max-Age"], "https://a.obs.test/");
        assert!(jar.cookies().is_empty());
    }

    #[test]
    fn header_respects_secure_and_path() {
        let mut jar = jar_with(
            &["s=1; Secure; Path=/", "p=2; Path=/x"],
            "https://a.obs.test/",
        );
        assert_eq!(
            jar.header_for(&url("http://a.obs.test/"), NOW).as_deref(),
            None
        );
        assert_eq!(
            jar.header_for(&url("https://a.obs.test/x/y"), NOW)
                .as_deref(),
            Some("p=2; s=1")
        );
    }

    #[test]
    fn python_int_and_dates() {
        assert_eq!(py_int(" 1_000 "), Some(1000));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("-5"), Some(-5));
        assert_eq!(py_int(""), None);
        assert_eq!(
            http2time("Wed, 09 Feb 1994 22:23:32 GMT", NOW)
                .ok()
                .flatten(),
            Some(760_832_612)
        );
        assert_eq!(
            http2time("09-Feb-1994 22:23:32 GMT", NOW).ok().flatten(),
            Some(760_832_612)
        );
        assert_eq!(
            http2time("Tuesday, 08-Feb-94 14:15:29 GMT", NOW)
                .ok()
                .flatten(),
            Some(760_716_929)
        );
        assert_eq!(http2time("garbage", NOW).ok().flatten(), None);
        assert!(http2time("Wed, 09 Jxx 1994 22:23:32 GMT", NOW).is_err());
    }
}
