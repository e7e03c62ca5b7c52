//! The start tags BeautifulSoup 4.6 finds with Python's `html.parser` (Python 3.11), the parser
//! the legacy Observatory uses for meta tags, scripts and the Flash/Silverlight policy files.
//!
//! `soup.find_all(name)` returns elements in the order their start tags appear, whatever the
//! nesting, so a flat list of start tags with their attributes is all the legacy tests need.
//! What does matter is which text the tokenizer recognises as a tag: it is not an HTML5
//! tokenizer. `<script>` and `<style>` contents are raw text up to their end tag, `<noscript>`
//! and `<template>` contents are ordinary markup, a start tag must match the tolerant regular
//! expressions below (including their backtracking on an unclosed quote), a malformed `&#`
//! reference stops tokenizing for the rest of the feed, and an unknown `<![keyword` marked
//! section raises, which the callers turn into "not parsable".

use super::py::{is_space, strip};

/// One start tag: lower-cased name, attributes with lower-cased names. A repeated attribute
/// keeps its first position and its last value (BeautifulSoup builds a dict); an attribute
/// without a value has the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// Attributes.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// The attribute's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Python raised while parsing (an unknown marked-section keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError;

/// Every start tag (and self-closing tag) of `doc`, in order.
pub fn start_tags(doc: &str) -> Result<Vec<Tag>, ParseError> {
    let mut p = Parser {
        s: doc,
        tags: Vec::new(),
        cdata: None,
        memo: Default::default(),
        work: std::cell::Cell::new(0),
        budget: doc
            .len()
            .saturating_mul(WORK_PER_BYTE)
            .saturating_add(WORK_BASE),
    };
    // BeautifulSoup calls feed() then close(): the first pass may stop early and leave the
    // rest for the second, which treats incomplete constructs as text.
    let rest = p.goahead(0, false)?;
    p.goahead(rest, true)?;
    Ok(p.tags)
}

struct Parser<'a> {
    s: &'a str,
    tags: Vec<Tag>,
    cdata: Option<&'static str>,
    /// Remembered searches, so that a page full of unclosed quotes or comments costs linear
    /// time instead of one scan to the end per construct (Python's regexes are quadratic
    /// there; Vigil must stay bounded on hostile pages).
    memo: [Memo; 7],
    /// Characters scanned by start-tag matching so far, and the most allowed.
    work: std::cell::Cell<usize>,
    budget: usize,
}

/// Start-tag matching may rescan text (an unclosed tag swallowing the rest of the page is
/// retried from every following `<`), which is quadratic in Python. Past this much scanning
/// the page is declared unparsable instead; ordinary pages use a few characters per byte.
const WORK_PER_BYTE: usize = 64;
const WORK_BASE: usize = 1 << 20;

/// What the memoised searches look for (index into `Parser::memo`).
#[derive(Clone, Copy)]
enum Pat {
    Gt,
    Lt,
    Single,
    Double,
    CommentClose,
    SectionClose,
    ConditionalClose,
}

/// The last search for one pattern: from where, and where its first match starts.
#[derive(Debug, Clone, Copy)]
struct Hit {
    from: usize,
    at: Option<usize>,
}

/// A match of the searched patterns starts where it starts whatever the search origin, so the
/// answer for `from` also holds for every later origin up to that match.
#[derive(Debug, Default)]
struct Memo(std::cell::Cell<Option<Hit>>);

impl Memo {
    fn find(&self, from: usize, search: impl FnOnce(usize) -> Option<usize>) -> Option<usize> {
        if let Some(h) = self.0.get()
            && from >= h.from
            && h.at.is_none_or(|a| from <= a)
        {
            return h.at;
        }
        let at = search(from);
        self.0.set(Some(Hit { from, at }));
        at
    }
}

/// Outcome of a `parse_*` helper: the next position, or "incomplete" (-1 in Python).
type Step = Option<usize>;

impl Parser<'_> {
    fn ch(&self, i: usize) -> Option<char> {
        self.s.get(i..).and_then(|t| t.chars().next())
    }

    fn starts(&self, i: usize, pat: &str) -> bool {
        self.s.get(i..).is_some_and(|t| t.starts_with(pat))
    }

    /// First occurrence of `pat` at or after `from` (remembered for single characters).
    fn find(&self, from: usize, pat: &str) -> Option<usize> {
        let slot = match pat {
            ">" => Some(Pat::Gt),
            "<" => Some(Pat::Lt),
            "'" => Some(Pat::Single),
            "\"" => Some(Pat::Double),
            _ => None,
        };
        match slot.and_then(|p| self.memo.get(p as usize)) {
            Some(memo) => memo.find(from, |f| self.raw_find(f, pat)),
            None => self.raw_find(from, pat),
        }
    }

    fn raw_find(&self, from: usize, pat: &str) -> Option<usize> {
        self.s
            .get(from..)
            .and_then(|t| t.find(pat))
            .map(|k| k + from)
    }

    /// Start of the first `OPEN(\s*]){extra}\s*>` at or after `from` (`--\s*>`, `]\s*]\s*>`,
    /// `]\s*>`), remembered per pattern.
    fn find_close(&self, from: usize, pat: Pat, open: &str, extra: usize) -> Option<usize> {
        let memo = self.memo.get(pat as usize)?;
        memo.find(from, |from| {
            let mut start = from;
            while let Some(k) = self.raw_find(start, open) {
                if self.close_end(k, open, extra).is_some() {
                    return Some(k);
                }
                start = k + 1;
            }
            None
        })
    }

    /// End of the closing construct starting at `k`, if one does.
    fn close_end(&self, k: usize, open: &str, extra: usize) -> Option<usize> {
        let mut p = k + open.len();
        for _ in 0..extra {
            p = self.skip_ws(p);
            if self.ch(p) != Some(']') {
                return None;
            }
            p += 1;
        }
        p = self.skip_ws(p);
        (self.ch(p) == Some('>')).then_some(p + 1)
    }

    /// Position after the characters at `i` that satisfy `f`.
    fn skip(&self, mut i: usize, f: impl Fn(char) -> bool) -> usize {
        while let Some(c) = self.ch(i) {
            if !f(c) {
                break;
            }
            i += c.len_utf8();
        }
        i
    }

    fn skip_ws(&self, i: usize) -> usize {
        self.skip(i, is_space)
    }

    /// `(?:\s|/(?!>))*`
    fn skip_ws_slash(&self, mut i: usize) -> usize {
        loop {
            match self.ch(i) {
                Some(c) if is_space(c) => i += c.len_utf8(),
                Some('/') if !self.starts(i + 1, ">") => i += 1,
                _ => return i,
            }
        }
    }

    /// End of a tag name starting at `i` (`[a-zA-Z][^\t\n\r\f />\x00]*`), if one starts there.
    fn tag_name_end(&self, i: usize) -> Option<usize> {
        if !self.ch(i)?.is_ascii_alphabetic() {
            return None;
        }
        Some(self.skip(i + 1, |c| {
            !matches!(c, '\t' | '\n' | '\r' | '\u{c}' | ' ' | '/' | '>' | '\0')
        }))
    }

    /// The character before byte `i`.
    fn prev(&self, i: usize) -> Option<char> {
        self.s.get(..i).and_then(|t| t.chars().next_back())
    }

    /// One attribute of the tolerant start-tag expressions at `i`: name range, raw value
    /// range (quotes included) when the value group matched, and the end of the match.
    #[allow(clippy::type_complexity)]
    fn attr(&self, i: usize) -> Option<((usize, usize), Option<(usize, usize)>, usize)> {
        // (?<=['"\s/])[^\s/>][^\s/=>]*
        let before = self.prev(i)?;
        if !(before == '\'' || before == '"' || before == '/' || is_space(before)) {
            return None;
        }
        let first = self.ch(i)?;
        if is_space(first) || first == '/' || first == '>' {
            return None;
        }
        let name_end = self.skip(i + first.len_utf8(), |c| {
            !(is_space(c) || c == '/' || c == '=' || c == '>')
        });
        let mut value = None;
        let mut after = name_end;
        // (\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?
        let eq = self.skip_ws(name_end);
        if self.ch(eq) == Some('=') {
            let eq_end = self.skip(eq, |c| c == '=');
            let v0 = self.skip_ws(eq_end);
            if let Some(v_end) = self.value_end(v0) {
                value = Some((v0, v_end));
                after = v_end;
            } else if v0 > eq_end {
                // Backtrack one whitespace character: an empty bare value matches there.
                let p = self
                    .s
                    .get(..v0)
                    .and_then(|t| t.char_indices().next_back())
                    .map_or(v0, |(k, _)| k);
                value = Some((p, p));
                after = p;
            } else if eq_end - eq >= 2 {
                // Backtrack one '=': a bare value starting with '=' matches.
                let p = eq_end - 1;
                let end = self.skip(p, |c| c != '>' && !is_space(c));
                value = Some((p, end));
                after = end;
            }
        }
        Some(((i, name_end), value, self.skip_ws_slash(after)))
    }

    /// End of an attribute value at `v`: a quoted string (closed anywhere later) or a bare run.
    fn value_end(&self, v: usize) -> Option<usize> {
        match self.ch(v) {
            Some(q @ ('\'' | '"')) => {
                let close = self.find(v + 1, if q == '\'' { "'" } else { "\"" })?;
                Some(close + 1)
            }
            _ => Some(self.skip(v, |c| c != '>' && !is_space(c))),
        }
    }

    /// `check_for_whole_start_tag`: the end of the start tag at `i`, or incomplete.
    fn whole_start_tag(&self, i: usize) -> Step {
        let mut j = self.tag_name_end(i + 1)?;
        j = self.skip(j, |c| is_space(c) || c == '/');
        while let Some((_, _, end)) = self.attr(j) {
            if end <= j {
                break;
            }
            j = end;
        }
        j = self.skip_ws(j);
        self.work
            .set(self.work.get().saturating_add(j.saturating_sub(i)));
        match self.ch(j) {
            None => None,
            Some('>') => Some(j + 1),
            Some('/') => self.starts(j, "/>").then_some(j + 2),
            Some(c) if c.is_ascii_alphabetic() || c == '=' || c == '/' => None,
            Some(_) => Some(if j > i { j } else { i + 1 }),
        }
    }

    fn parse_starttag(&mut self, i: usize) -> Step {
        let endpos = self.whole_start_tag(i)?;
        let name_end = self.tag_name_end(i + 1)?;
        let name = self.s.get(i + 1..name_end)?.to_lowercase();
        let mut k = self.skip_ws_slash(name_end);
        let mut attrs: Vec<(String, String)> = Vec::new();
        while k < endpos {
            let Some(((a, b), value, end)) = self.attr(k) else {
                break;
            };
            let attr_name = self.s.get(a..b).unwrap_or_default().to_lowercase();
            let raw = value.and_then(|(x, y)| self.s.get(x..y)).unwrap_or("");
            let unquoted = if raw.len() >= 2
                && ((raw.starts_with('\'') && raw.ends_with('\''))
                    || (raw.starts_with('"') && raw.ends_with('"')))
            {
                raw.get(1..raw.len() - 1).unwrap_or_default()
            } else {
                raw
            };
            let v = unescape(unquoted);
            if let Some(slot) = attrs.iter_mut().find(|(n, _)| *n == attr_name) {
                slot.1 = v;
            } else {
                attrs.push((attr_name, v));
            }
            k = end;
        }
        let end = strip(self.s.get(k..endpos).unwrap_or(""));
        if end != ">" && end != "/>" {
            return Some(endpos);
        }
        let self_closing = end == "/>";
        let cdata = match name.as_str() {
            "script" => Some("script"),
            "style" => Some("style"),
            _ => None,
        };
        self.tags.push(Tag { name, attrs });
        if !self_closing && cdata.is_some() {
            self.cdata = cdata;
        }
        Some(endpos)
    }

    /// `</\s*NAME\s*>` at `i` with NAME = `[a-zA-Z][-.a-zA-Z0-9:_]*`: the lower-cased name.
    fn endtag_name(&self, i: usize) -> Option<String> {
        let a = self.skip_ws(i + 2);
        if !self.ch(a)?.is_ascii_alphabetic() {
            return None;
        }
        let b = self.skip(a + 1, |c| c.is_ascii_alphanumeric() || "-.:_".contains(c));
        let c = self.skip_ws(b);
        (self.ch(c) == Some('>')).then(|| self.s.get(a..b).unwrap_or_default().to_lowercase())
    }

    fn parse_endtag(&mut self, i: usize) -> Step {
        let gtpos = self.find(i + 1, ">")? + 1;
        let Some(elem) = self.endtag_name(i) else {
            if self.cdata.is_some() {
                return Some(gtpos);
            }
            let Some(name_end) = self.tag_name_end(i + 2) else {
                if self.starts(i, "</>") {
                    return Some(i + 3);
                }
                return self.find(i + 2, ">").map(|p| p + 1);
            };
            let after = self.skip_ws_slash(name_end);
            return self.find(after, ">").map(|p| p + 1);
        };
        if let Some(cdata) = self.cdata
            && elem != cdata
        {
            return Some(gtpos);
        }
        self.cdata = None;
        Some(gtpos)
    }

    /// `<![...`: CDATA and friends end at `]]>`, MS Office conditionals at `]>`; any other
    /// keyword raises in Python.
    fn parse_marked_section(&self, i: usize) -> Result<Step, ParseError> {
        let a = i + 3;
        if a >= self.s.len() {
            return Ok(None);
        }
        if !self.ch(a).is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(ParseError);
        }
        let b = self.skip(a + 1, |c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        let c = self.skip_ws(b);
        if c == self.s.len() {
            return Ok(None);
        }
        let name = self.s.get(a..b).unwrap_or_default().to_ascii_lowercase();
        let end = match name.as_str() {
            "temp" | "cdata" | "ignore" | "include" | "rcdata" => self.close_brackets(a, 2),
            "if" | "else" | "endif" => self.close_brackets(a, 1),
            _ => return Err(ParseError),
        };
        Ok(end)
    }

    /// End of the first `]\s*]\s*>` (`n` = 2) or `]\s*>` (`n` = 1) after `from`.
    fn close_brackets(&self, from: usize, n: usize) -> Step {
        let pat = if n == 2 {
            Pat::SectionClose
        } else {
            Pat::ConditionalClose
        };
        let k = self.find_close(from, pat, "]", n - 1)?;
        self.close_end(k, "]", n - 1)
    }

    fn parse_comment(&self, i: usize) -> Step {
        let k = self.find_close(i + 4, Pat::CommentClose, "--", 0)?;
        self.close_end(k, "--", 0)
    }

    fn parse_html_declaration(&self, i: usize) -> Result<Step, ParseError> {
        if self.starts(i, "<!--") {
            return Ok(self.parse_comment(i));
        }
        if self.starts(i, "<![") {
            return self.parse_marked_section(i);
        }
        let doctype = self
            .s
            .get(i..)
            .and_then(|t| t.get(..9))
            .is_some_and(|t| t.eq_ignore_ascii_case("<!doctype"));
        if doctype {
            return Ok(self.find(i + 9, ">").map(|p| p + 1));
        }
        Ok(self.find(i + 2, ">").map(|p| p + 1))
    }

    /// Python's `goahead` without character-reference conversion. Returns where the
    /// unprocessed rest starts (Python keeps it in `rawdata`).
    fn goahead(&mut self, start: usize, end: bool) -> Result<usize, ParseError> {
        let n = self.s.len();
        let mut i = start;
        while i < n {
            let j = if let Some(elem) = self.cdata {
                match self.find_cdata_end(i, elem) {
                    Some(j) => j,
                    None => break,
                }
            } else {
                self.s
                    .get(i..)
                    .and_then(|t| t.find(['<', '&']))
                    .map_or(n, |k| k + i)
            };
            i = j;
            if i == n {
                break;
            }
            if self.starts(i, "<") {
                let step = if self.ch(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
                    let step = self.parse_starttag(i);
                    if self.work.get() > self.budget {
                        return Err(ParseError);
                    }
                    step
                } else if self.starts(i, "</") {
                    self.parse_endtag(i)
                } else if self.starts(i, "<!--") {
                    self.parse_comment(i)
                } else if self.starts(i, "<?") {
                    self.find(i + 2, ">").map(|p| p + 1)
                } else if self.starts(i, "<!") {
                    self.parse_html_declaration(i)?
                } else if i + 1 < n {
                    Some(i + 1)
                } else {
                    break;
                };
                let k = match step {
                    Some(k) => k,
                    None => {
                        if !end {
                            break;
                        }
                        match self.find(i + 1, ">") {
                            Some(p) => p + 1,
                            None => self.find(i + 1, "<").unwrap_or(i + 1),
                        }
                    }
                };
                i = k;
            } else if self.starts(i, "&#") {
                match charref_end(self.s, i) {
                    Some(k) => i = k,
                    None => {
                        if self.find(i, ";").is_some() {
                            i += 2;
                        }
                        break;
                    }
                }
            } else {
                // '&'
                match entityref_end(self.s, i) {
                    Some(k) => i = k,
                    None => {
                        if self.ch(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
                            // An unfinished reference at the end of the input.
                            if end && self.s.len() - i == 2 {
                                i += 1;
                            }
                            break;
                        } else if i + 1 < n {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
        }
        if end && i < n && self.cdata.is_none() {
            i = n;
        }
        Ok(i)
    }

    /// Start of the next `</\s*elem\s*>` (case-insensitive) at or after `i`.
    fn find_cdata_end(&self, i: usize, elem: &str) -> Option<usize> {
        let mut from = i;
        while let Some(k) = self.find(from, "</") {
            let a = self.skip_ws(k + 2);
            let name_ok = self
                .s
                .get(a..)
                .and_then(|t| t.get(..elem.len()))
                .is_some_and(|t| t.eq_ignore_ascii_case(elem));
            if name_ok {
                let c = self.skip_ws(a + elem.len());
                if self.ch(c) == Some('>') {
                    return Some(k);
                }
            }
            from = k + 2;
        }
        None
    }
}

/// `&#(?:[0-9]+|[xX][0-9a-fA-F]+)[^0-9a-fA-F]` at `i`: the position after the reference (the
/// terminating character is consumed only when it is `;`).
fn charref_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut p = i + 2;
    let hex = matches!(b.get(p), Some(b'x' | b'X'));
    if hex {
        p += 1;
    }
    let start = p;
    while b.get(p).is_some_and(|c| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    }) {
        p += 1;
    }
    if p == start {
        return None;
    }
    // Decimal digits followed by a hex letter do not match (the terminator class excludes it).
    let term = *b.get(p)?;
    if term.is_ascii_hexdigit() {
        return None;
    }
    Some(if term == b';' { p + 1 } else { p })
}

/// `&([a-zA-Z][-.a-zA-Z0-9]*)[^a-zA-Z0-9]` at `i`.
fn entityref_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut p = i + 1;
    if !b.get(p)?.is_ascii_alphabetic() {
        return None;
    }
    p += 1;
    while b
        .get(p)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
    {
        p += 1;
    }
    let term = *b.get(p)?;
    Some(if term == b';' { p + 1 } else { p })
}

/// Python's `html.unescape` (HTML5 named references, numeric references with the Windows-1252
/// fix-ups, the longest-prefix rule for names without `;`).
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(rest.get(..k).unwrap_or_default());
        let after = rest.get(k + 1..).unwrap_or_default();
        match reference(after) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = after.get(used..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One reference after `&`: its replacement and how many bytes of `after` it used.
fn reference(after: &str) -> Option<(String, usize)> {
    if let Some(num) = after.strip_prefix('#') {
        let (hex, digits_from) = match num.as_bytes().first() {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let body = after.get(digits_from..)?;
        let len = body
            .bytes()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if len == 0 {
            return None;
        }
        let digits = body.get(..len)?;
        let mut used = digits_from + len;
        if body.as_bytes().get(len) == Some(&b';') {
            used += 1;
        }
        let value = u32::from_str_radix(digits, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        return Some((numeric(value), used));
    }
    // [^\t\n\f <&#;]{1,32};?
    let mut name_len = 0;
    for (count, (idx, c)) in after.char_indices().enumerate() {
        if count == 32 || matches!(c, '\t' | '\n' | '\u{c}' | ' ' | '<' | '&' | '#' | ';') {
            break;
        }
        name_len = idx + c.len_utf8();
    }
    if name_len == 0 {
        return None;
    }
    let with_semi = after.as_bytes().get(name_len) == Some(&b';');
    let whole = after.get(..name_len + usize::from(with_semi))?;
    if let Some(t) = named(whole) {
        return Some((t, whole.len()));
    }
    // Longest known prefix (at least two characters), the rest kept as text.
    let bounds: Vec<usize> = whole.char_indices().map(|(i, _)| i).skip(2).collect();
    for &x in bounds.iter().rev() {
        if let Some(t) = whole.get(..x).and_then(named) {
            return Some((t + whole.get(x..).unwrap_or_default(), whole.len()));
        }
    }
    None
}

fn named(name: &str) -> Option<String> {
    let &(a, b) = markup5ever::data::NAMED_ENTITIES.get(name)?;
    // The map also holds every prefix of a name, mapped to 0: those are not references.
    if a == 0 {
        return None;
    }
    let mut s = String::new();
    s.push(char::from_u32(a)?);
    if b != 0 {
        s.push(char::from_u32(b)?);
    }
    Some(s)
}

fn numeric(n: u32) -> String {
    match n {
        0 => "\u{fffd}".to_string(),
        0x0d => "\r".to_string(),
        0x80..=0x9f => {
            let i = usize::try_from(n - 0x80).unwrap_or(0);
            match markup5ever::data::C1_REPLACEMENTS.get(i).copied().flatten() {
                Some(c) => c.to_string(),
                None => char::from_u32(n).map(String::from).unwrap_or_default(),
            }
        }
        0xd800..=0xdfff => "\u{fffd}".to_string(),
        n if n > 0x10ffff => "\u{fffd}".to_string(),
        0x1..=0x8 | 0xb | 0xe..=0x1f | 0x7f | 0xfdd0..=0xfdef => String::new(),
        n if n & 0xfffe == 0xfffe => String::new(),
        n => char::from_u32(n).map(String::from).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathological_pages_stay_linear() {
        // Every `<a x='` swallows the rest of the page and is retried from the next `<`.
        let doc = "<a x='".repeat(200_000);
        let t = std::time::Instant::now();
        assert_eq!(start_tags(&doc), Err(ParseError));
        let doc = "<!--".repeat(300_000) + &"<p a='".repeat(100_000);
        let _ = start_tags(&doc);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        // A large ordinary page is fine.
        let doc = "<p class='x'>text</p><script src=/a.js></script>".repeat(100_000);
        assert_eq!(start_tags(&doc).map(|t| t.len()), Ok(200_000));
    }

    fn names(doc: &str) -> Vec<String> {
        start_tags(doc)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect()
    }

    #[test]
    fn script_content_is_raw_but_noscript_and_template_are_not() {
        assert_eq!(
            names(
                "<script>document.write('<meta x>')</script><noscript><meta a=1></noscript><template><meta b></template>"
            ),
            ["script", "noscript", "meta", "template", "meta"]
        );
        assert_eq!(names("<script><meta></SCRIPT ><p>"), ["script", "p"]);
    }

    #[test]
    fn attributes() {
        let t = start_tags(
            r#"<META HTTP-EQUIV="Content-Security-Policy" content='a &amp; b' async src=x/>"#,
        )
        .unwrap();
        let m = &t[0];
        assert_eq!(m.name, "meta");
        assert_eq!(m.get("http-equiv"), Some("Content-Security-Policy"));
        assert_eq!(m.get("content"), Some("a & b"));
        assert_eq!(m.get("async"), Some(""));
        assert_eq!(m.get("src"), Some("x/"));
        let t = start_tags("<a b=1 b=2>").unwrap();
        assert_eq!(t[0].attrs, vec![("b".to_string(), "2".to_string())]);
    }

    #[test]
    fn comments_doctype_and_broken_markup() {
        assert_eq!(
            names("<!DOCTYPE html><!-- <meta> --><p><? pi ?><!bogus><br/>"),
            ["p", "br"]
        );
        // An unclosed quote: the tag is text up to the next '>'.
        assert_eq!(names("<meta content='x><p>"), ["p"]);
        assert!(start_tags("<![foo[ x ]]><p>").is_err());
        assert_eq!(names("<![CDATA[ <meta> ]]><p>"), ["p"]);
    }

    #[test]
    fn a_bad_char_reference_stops_the_second_pass() {
        // The first stray "&#" ends feed(); close() resumes; a second one ends everything.
        assert_eq!(names("<p>&#; <a> &#; <b>"), ["p", "a"]);
        assert_eq!(names("<p>&#38; <a>"), ["p", "a"]);
    }

    #[test]
    fn unescape_like_python() {
        assert_eq!(unescape("&amp;&lt;&#39;&#x41;&#150;"), "&<'A\u{2013}");
        assert_eq!(unescape("&ampfoo &notit; &bogus;"), "&foo ¬it; &bogus;");
    }
}
