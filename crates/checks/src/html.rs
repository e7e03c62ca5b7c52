//! HTML parsing with a browser's bounds, for the few elements the tests read.
//!
//! The tests need `<meta>` and `<script>` start tags with a handful of attributes, in the order
//! the parser creates them, and whether each sits inside a `<template>` (whose content a DOM
//! keeps apart, so `querySelectorAll` never sees it). They must be found exactly as the HTML5
//! parser finds them (the tokenizer state depends on the tree: script data, raw text, foreign
//! content), so html5ever's tokenizer and tree builder do the work. A full DOM is not kept:
//! the tree sink remembers only what the tests read, and nodes the parser no longer holds are
//! freed, so memory follows the open-element stack instead of the page size.
//!
//! Three shapes make the unbounded algorithm quadratic, and each has a bound here:
//!
//! * **Depth.** Many tree-builder steps walk the stack of open elements, so a million nested
//!   `<div>`s cost 10^12 steps. Blink stops nesting at 512 levels and attaches deeper elements
//!   as siblings; here, once the current node is [`MAX_DEPTH`] deep, start tags of elements that
//!   only add structure (`<div>`, `<span>`, `<b>`, unknown names; in SVG/MathML, anything but an
//!   integration point or a tag that ends foreign content) are dropped with their end tags, so
//!   what follows lands in the deepest kept element, as in Blink. Elements that change how the
//!   rest is read (`<script>`, `<style>`, `<textarea>`, `<template>`, `<select>`, `<svg>`, tables,
//!   void elements such as `<meta>`) are always kept.
//! * **Formatting elements.** Unclosed `<b class=N>` tags with distinct attributes pile up in
//!   the list of active formatting elements, and the parser re-opens the whole list before
//!   every piece of text: quadratic in elements created. Once one token has made the parser
//!   re-create more than [`MAX_RECONSTRUCTED`] elements, later formatting start tags are
//!   dropped (they never affect which metas or scripts exist).
//! * **Stray end tags.** An end tag matching no open element still walks the stack (twice in
//!   SVG or MathML) before it is ignored. End tags naming an element never created are dropped
//!   unless they do something on their own (`</p>` makes a paragraph, `</br>` a line break).
//! * **Attributes.** The tokenizer compares each attribute name with every earlier one of the
//!   same tag. A tag with more than [`MAX_ATTRIBUTES`] attributes keeps its first ones only.
//!
//! None of these bounds is reached by an ordinary page, so results there are those of the
//! unbounded parser.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, LocalName, QualName, TokenizerResult, local_name, ns};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Deepest element nesting kept (Blink's `kMaximumHTMLParserDOMTreeDepth`).
pub const MAX_DEPTH: u32 = 512;
/// Most attributes read from one tag.
pub const MAX_ATTRIBUTES: usize = 256;
/// Elements one token may make the parser re-create before formatting tags are dropped.
pub const MAX_RECONSTRUCTED: usize = 8;

/// How the text is parsed: as a whole document, or as a fragment in a `<body>` (what jsdom's
/// `JSDOM.fragment` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `parse_document`.
    Document,
    /// `parse_fragment` with a `<body>` context.
    Fragment,
}

/// One element the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Local name (lower case for HTML elements).
    pub name: String,
    /// The requested attributes present (no namespace), in the tag's order.
    pub attrs: Vec<(String, String)>,
}

impl Found {
    /// The attribute's value, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Elements named one of `names` (any namespace) outside every template, in the order the
/// parser created them, with those of their attributes named in `attrs`.
pub fn find(text: &str, mode: Mode, names: &[&str], attrs: &[&str]) -> Vec<Found> {
    let text = cap_attributes(text);
    let sink = Sink {
        names: names.iter().map(|n| LocalName::from(*n)).collect(),
        attrs: attrs.iter().map(|n| LocalName::from(*n)).collect(),
        document: Node::new(QualName::new(None, ns!(), local_name!("")), false),
        records: RefCell::new(Vec::new()),
        created: Cell::new(0),
        seen: RefCell::new(std::collections::HashSet::new()),
        current_depth: Cell::new(0),
        current_html: Cell::new(true),
    };
    let opts = TreeBuilderOpts::default();
    let (builder, tokenizer_opts) = match mode {
        Mode::Document => (TreeBuilder::new(sink, opts), TokenizerOpts::default()),
        Mode::Fragment => {
            let context = sink.create_element(
                QualName::new(None, ns!(html), local_name!("body")),
                Vec::new(),
                ElementFlags::default(),
            );
            let builder = TreeBuilder::new_for_fragment(sink, context, None, opts);
            let state = builder.tokenizer_state_for_context_elem(false);
            (
                builder,
                TokenizerOpts {
                    initial_state: Some(state),
                    ..TokenizerOpts::default()
                },
            )
        }
    };
    let filter = Filter {
        builder,
        dropped: RefCell::new(HashMap::new()),
        formatting_saturated: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(filter, tokenizer_opts);
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&text));
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    let records = tokenizer.sink.builder.sink.records.take();
    records
        .into_iter()
        .filter(|r| !r.in_template)
        .map(|r| Found {
            name: r.name.to_string(),
            attrs: r.attrs,
        })
        .collect()
}

/// A node as far as the tests care: its name, where it hangs, and its record if it is one of
/// the requested elements.
#[derive(Debug)]
struct Node {
    name: QualName,
    /// The node is a template's content fragment.
    is_contents: bool,
    /// An ancestor is a template (or the content of one).
    in_template: Cell<bool>,
    has_parent: Cell<bool>,
    depth: Cell<u32>,
    /// The content fragment of an HTML `<template>`.
    contents: Option<Handle>,
    record: Option<usize>,
}

type Handle = Rc<Node>;

impl Node {
    fn new(name: QualName, is_contents: bool) -> Handle {
        Rc::new(Node {
            name,
            is_contents,
            in_template: Cell::new(false),
            has_parent: Cell::new(false),
            depth: Cell::new(0),
            contents: None,
            record: None,
        })
    }

    /// True when the node's children are inside a template.
    fn templating(&self) -> bool {
        self.in_template.get() || self.is_contents || self.name.local == local_name!("template")
    }

    fn is_html(&self) -> bool {
        self.name.ns == ns!(html)
    }
}

#[derive(Debug)]
struct Record {
    name: LocalName,
    attrs: Vec<(String, String)>,
    in_template: bool,
}

struct Sink {
    names: Vec<LocalName>,
    attrs: Vec<LocalName>,
    document: Handle,
    records: RefCell<Vec<Record>>,
    /// Elements created so far.
    created: Cell<usize>,
    /// Local names of every element created so far.
    seen: RefCell<std::collections::HashSet<LocalName>>,
    /// Estimated depth and namespace of the current node: that of the last element inserted
    /// (assumed still open), or of the node the last text went into.
    current_depth: Cell<u32>,
    current_html: Cell<bool>,
}

impl Sink {
    /// Places `child` under `parent` (or beside `sibling` with `parent`'s context).
    fn attach(&self, context: &Handle, child: NodeOrText<Handle>, beside: bool) {
        let (depth, in_template, html) = if beside {
            (
                context.depth.get(),
                context.in_template.get(),
                context.is_html(),
            )
        } else {
            (
                context.depth.get().saturating_add(1),
                context.templating(),
                context.is_html(),
            )
        };
        match child {
            NodeOrText::AppendNode(node) => {
                node.depth.set(depth);
                node.in_template.set(in_template);
                node.has_parent.set(true);
                if let Some(i) = node.record
                    && let Some(r) = self.records.borrow_mut().get_mut(i)
                {
                    r.in_template = in_template;
                }
                if !node.name.local.is_empty() {
                    self.current_depth.set(depth);
                    self.current_html.set(node.is_html());
                }
            }
            NodeOrText::AppendText(_) => {
                self.current_depth.set(depth.saturating_sub(1));
                self.current_html.set(html);
            }
        }
    }
}

impl TreeSink for Sink {
    type Handle = Handle;
    type Output = ();
    type ElemName<'a> = &'a QualName;

    fn finish(self) {}

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Rc::clone(&self.document)
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        &target.name
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> Handle {
        self.created.set(self.created.get().saturating_add(1));
        // End tags come lower-cased; SVG names such as `foreignObject` are not.
        let lower = if name.local.bytes().any(|c| c.is_ascii_uppercase()) {
            LocalName::from(name.local.to_ascii_lowercase())
        } else {
            name.local.clone()
        };
        if !self.seen.borrow().contains(&lower) {
            self.seen.borrow_mut().insert(lower);
        }
        let contents = (name.ns == ns!(html) && name.local == local_name!("template"))
            .then(|| Node::new(QualName::new(None, ns!(), local_name!("")), true));
        let record = self.names.contains(&name.local).then(|| {
            let mut records = self.records.borrow_mut();
            let kept = attrs
                .into_iter()
                .filter(|a| a.name.ns == ns!() && self.attrs.contains(&a.name.local))
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect();
            records.push(Record {
                name: name.local.clone(),
                attrs: kept,
                in_template: false,
            });
            records.len() - 1
        });
        Rc::new(Node {
            name,
            is_contents: false,
            in_template: Cell::new(false),
            has_parent: Cell::new(false),
            depth: Cell::new(0),
            contents,
            record,
        })
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Node::new(QualName::new(None, ns!(), local_name!("")), false)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::new(QualName::new(None, ns!(), local_name!("")), false)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.attach(parent, child, false);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        if element.has_parent.get() {
            self.attach(element, child, true);
        } else {
            self.attach(prev_element, child, false);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        // Only HTML templates are asked for; anything else gets itself, which keeps its
        // children inside it (and so inside a template) all the same.
        // The content continues the template's depth, as Blink counts the stack.
        match &target.contents {
            Some(contents) => {
                contents.depth.set(target.depth.get());
                Rc::clone(contents)
            }
            None => Rc::clone(target),
        }
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        if sibling.has_parent.get() {
            self.attach(sibling, new_node, true);
        }
    }

    fn add_attrs_if_missing(&self, _target: &Handle, _attrs: Vec<Attribute>) {}

    fn remove_from_parent(&self, target: &Handle) {
        // A detached subtree has no template ancestor (the adoption agency re-attaches what it
        // detaches, in the same template context).
        target.has_parent.set(false);
        target.in_template.set(false);
        if let Some(i) = target.record
            && let Some(r) = self.records.borrow_mut().get_mut(i)
        {
            r.in_template = false;
        }
    }

    // Only the adoption agency moves children, into a new formatting element that it then
    // attaches where they were: their template context does not change.
    fn reparent_children(&self, _node: &Handle, _new_parent: &Handle) {}
}

/// Sits between the tokenizer and the tree builder and drops the start tags (and matching end
/// tags) that would only deepen the tree past the bounds.
struct Filter {
    builder: TreeBuilder<Handle, Sink>,
    /// Dropped start tags whose end tag has not come yet, by name.
    dropped: RefCell<HashMap<LocalName, u32>>,
    formatting_saturated: Cell<bool>,
}

impl Filter {
    fn drops(&self, name: &LocalName) -> bool {
        let sink = &self.builder.sink;
        let html = sink.current_html.get();
        if html && self.formatting_saturated.get() && is_formatting(name) {
            return true;
        }
        sink.current_depth.get() >= MAX_DEPTH
            && if html {
                !keeps_in_html(name)
            } else {
                !keeps_in_foreign(name)
            }
    }
}

impl TokenSink for Filter {
    type Handle = Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Handle> {
        if let Token::TagToken(tag) = &token {
            match tag.kind {
                TagKind::StartTag if self.drops(&tag.name) => {
                    *self
                        .dropped
                        .borrow_mut()
                        .entry(tag.name.clone())
                        .or_insert(0) += 1;
                    return TokenSinkResult::Continue;
                }
                TagKind::EndTag => {
                    let mut dropped = self.dropped.borrow_mut();
                    if let Some(n) = dropped.get_mut(&tag.name)
                        && *n > 0
                    {
                        *n -= 1;
                        return TokenSinkResult::Continue;
                    }
                    let acts_alone = matches!(&*tag.name, "p" | "br");
                    if !acts_alone && !self.builder.sink.seen.borrow().contains(&tag.name) {
                        return TokenSinkResult::Continue;
                    }
                }
                TagKind::StartTag => {}
            }
        }
        let before = self.builder.sink.created.get();
        let reconstructing = matches!(
            &token,
            Token::CharacterTokens(_) | Token::TagToken(_) | Token::NullCharacterToken
        );
        let result = self.builder.process_token(token, line_number);
        if reconstructing
            && self.builder.sink.created.get().saturating_sub(before) > MAX_RECONSTRUCTED
        {
            self.formatting_saturated.set(true);
        }
        result
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// The formatting elements of the HTML standard (re-opened by the parser).
fn is_formatting(name: &LocalName) -> bool {
    matches!(
        &**name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// HTML start tags never dropped: they switch the tokenizer, open a template, change the
/// insertion mode so that later tags are read differently, enter foreign content, or are
/// void (no nesting, and `<meta>` is one of them).
fn keeps_in_html(name: &LocalName) -> bool {
    matches!(
        &**name,
        "html"
            | "head"
            | "body"
            | "frameset"
            | "frame"
            | "template"
            | "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
            | "select"
            | "option"
            | "optgroup"
            | "selectedcontent"
            | "caption"
            | "colgroup"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "svg"
            | "math"
    ) || is_void(name)
}

fn is_void(name: &LocalName) -> bool {
    matches!(
        &**name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "image"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Start tags kept inside SVG or MathML: those that end foreign content, the integration
/// points (HTML inside them), and the raw-text and template elements.
fn keeps_in_foreign(name: &LocalName) -> bool {
    matches!(
        &**name,
        "b" | "big"
            | "blockquote"
            | "body"
            | "br"
            | "center"
            | "code"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "embed"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "hr"
            | "i"
            | "img"
            | "li"
            | "listing"
            | "menu"
            | "meta"
            | "nobr"
            | "ol"
            | "p"
            | "pre"
            | "ruby"
            | "s"
            | "small"
            | "span"
            | "strong"
            | "strike"
            | "sub"
            | "sup"
            | "table"
            | "tt"
            | "u"
            | "ul"
            | "var"
            | "font"
            | "foreignobject"
            | "desc"
            | "title"
            | "mi"
            | "mo"
            | "mn"
            | "ms"
            | "mtext"
            | "annotation-xml"
            | "script"
            | "style"
            | "template"
            | "svg"
            | "math"
    )
}

/// Cuts the attributes past [`MAX_ATTRIBUTES`] out of every tag that has more, following the
/// tokenizer's tag states (quotes, `/`, `>`), skipping comments and the contents of raw-text
/// elements. The text comes back unchanged (borrowed) when no tag is over the limit.
fn cap_attributes(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|s| s.iter().position(|&c| c == b'<')) {
        i += off + 1;
        match b.get(i) {
            Some(b'!') if b.get(i + 1..i + 3) == Some(b"--") => {
                i = find_from(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
            }
            Some(b'!' | b'?') => i = find_from(b, i, b">").map_or(b.len(), |e| e + 1),
            Some(c) if c.is_ascii_alphabetic() || *c == b'/' => {
                let end_tag = *c == b'/';
                let name_start = if end_tag { i + 1 } else { i };
                let name_end = b
                    .get(name_start..)
                    .and_then(|s| {
                        s.iter().position(|&c| {
                            matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
                        })
                    })
                    .map_or(b.len(), |p| name_start + p);
                let (end, cut) = scan_attributes(b, name_end);
                if let Some(from) = cut {
                    cuts.push((from, end));
                }
                i = end;
                if !end_tag {
                    let name = b
                        .get(name_start..name_end)
                        .map(|n| n.to_ascii_lowercase())
                        .unwrap_or_default();
                    match name.as_slice() {
                        b"plaintext" => break,
                        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"iframe"
                        | b"noembed" | b"noframes" | b"noscript" => {
                            let mut close = b"</".to_vec();
                            close.extend_from_slice(&name);
                            i = find_ci(b, i, &close).unwrap_or(b.len());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if cuts.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut at = 0;
    for (from, to) in cuts {
        out.extend_from_slice(b.get(at..from).unwrap_or_default());
        at = to;
    }
    out.extend_from_slice(b.get(at..).unwrap_or_default());
    // Cuts start and end at ASCII delimiters, so the text stays UTF-8.
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Walks a tag's attributes from `i` (just after its name) to its `>`: returns where the tag
/// ends (at the `>`, or the end of the text) and where the first attribute over the limit
/// starts, if there is one.
fn scan_attributes(b: &[u8], mut i: usize) -> (usize, Option<usize>) {
    let mut count = 0usize;
    let mut cut = None;
    loop {
        // Before an attribute name.
        while b.get(i).is_some_and(|&c| is_space(c) || c == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return (b.len(), None),
            Some(b'>') => return (i, cut),
            Some(_) => {}
        }
        count += 1;
        if count > MAX_ATTRIBUTES && cut.is_none() {
            cut = Some(i);
        }
        // The name: its first character may be `=`, then anything up to a delimiter.
        i += 1;
        while b
            .get(i)
            .is_some_and(|&c| !is_space(c) && !matches!(c, b'/' | b'>' | b'='))
        {
            i += 1;
        }
        while b.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while b.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                i = match b.get(i + 1..).and_then(|s| s.iter().position(|&c| c == q)) {
                    Some(p) => i + 1 + p + 1,
                    None => return (b.len(), None),
                };
            }
            Some(b'>') | None => continue,
            Some(_) => {
                while b.get(i).is_some_and(|&c| !is_space(c) && c != b'>') {
                    i += 1;
                }
            }
        }
    }
}

fn find_from(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

fn find_ci(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w.eq_ignore_ascii_case(pat))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, mode: Mode) -> Vec<String> {
        find(text, mode, &["meta", "script"], &["src"])
            .into_iter()
            .map(|f| match f.attr("src") {
                Some(s) => format!("{}:{s}", f.name),
                None => f.name,
            })
            .collect()
    }

    #[test]
    fn finds_elements_outside_templates_in_order() {
        let doc = "<meta a=1><script src=x></script><template><meta><script src=t></script>\
                   </template><svg><script src=svg></script></svg><p><meta>";
        assert_eq!(
            names(doc, Mode::Document),
            ["meta", "script:x", "script:svg", "meta"]
        );
        assert_eq!(
            names(doc, Mode::Fragment),
            ["meta", "script:x", "script:svg", "meta"]
        );
    }

    #[test]
    fn tokenizer_states_follow_the_tree() {
        // Script data hides markup; in SVG a <script> is ordinary markup.
        assert_eq!(
            names(
                "<script>'<meta>'</script><textarea><meta></textarea>",
                Mode::Document
            ),
            ["script"]
        );
        assert_eq!(
            names("<svg><script><meta></script></svg>", Mode::Document),
            ["script", "meta"]
        );
    }

    #[test]
    fn deep_nesting_is_bounded_but_keeps_what_matters() {
        let mut doc = "<div>".repeat(100_000);
        doc.push_str("<script src=deep></script><template><meta></template><meta>");
        assert_eq!(names(&doc, Mode::Document), ["script:deep", "meta"]);
        let mut doc = "<template>".repeat(20_000);
        doc.push_str("<meta>");
        assert!(names(&doc, Mode::Fragment).is_empty());
        let mut doc = "<svg>".to_string();
        doc.push_str(&"<g>".repeat(50_000));
        doc.push_str(&"</x>".repeat(50_000));
        doc.push_str("<meta>");
        assert_eq!(names(&doc, Mode::Fragment), ["meta"]);
        // Deep inside SVG, the end of an integration point still counts (its name is
        // camel-cased in the tree, lower-cased in the tag).
        let mut doc = "<svg>".to_string();
        doc.push_str(&"<g>".repeat(1000));
        doc.push_str("<foreignObject></foreignObject><script>'<meta>'</script>");
        assert_eq!(names(&doc, Mode::Document), ["script", "meta"]);
    }

    #[test]
    fn formatting_pile_up_is_bounded() {
        let doc: String = (0..20_000)
            .map(|i| format!("<p><b class={i}></p>x"))
            .collect::<String>()
            + "<meta>";
        assert_eq!(names(&doc, Mode::Document), ["meta"]);
    }

    #[test]
    fn attributes_past_the_limit_are_cut() {
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"v>\"")).collect();
        let doc = format!("<meta{many} src=late><script src=x{many}></script><meta>");
        let found = find(&doc, Mode::Document, &["meta", "script"], &["a0", "src"]);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].attr("a0"), Some("v>"));
        assert_eq!(found[0].attr("src"), None);
        assert_eq!(found[1].attr("src"), Some("x"));
        let ordinary = "<p a=1 b='2' c=\"3\"/>";
        assert!(matches!(cap_attributes(ordinary), Cow::Borrowed(_)));
    }
}
