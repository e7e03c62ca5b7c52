//! The `content-security-policy` test (spec §5.1): parse header and meta policies, then walk
//! the reference's decision list from the most to the least severe finding.

mod collate;
pub mod parse;

use crate::headers;
use crate::page::Page;
use parse::CspMap;
use serde_json::{Map, Value, json};
use vigil_model::results::CspResult;
use vigil_model::{AnyResult, HttpEvidence, TestOutcome};

/// Sources that allow loading from (nearly) anywhere.
const BROAD: [&str; 8] = [
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];
/// Directives whose content is passive (images and media).
const PASSIVE: [&str; 2] = ["img-src", "media-src"];
/// Prefixes of nonce and hash sources.
const NONCE_OR_HASH: [&str; 4] = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];

fn broad(s: &str) -> bool {
    BROAD.contains(&s)
}

fn unsafe_source(s: &str) -> bool {
    broad(s) || s == "'unsafe-inline'" || s == "data:"
}

fn insecure_scheme(s: &str) -> bool {
    s.starts_with("http:") || s.starts_with("ftp:")
}

fn has_nonce_or_hash(list: &[String]) -> bool {
    list.iter()
        .any(|s| NONCE_OR_HASH.iter().any(|p| s.starts_with(p)))
}

/// The CSP verdict plus the combined map, which X-Frame-Options reads.
#[derive(Debug, Clone)]
pub struct CspVerdict {
    /// The outcome for the report.
    pub outcome: TestOutcome,
    /// The combined map when the test got that far (`None` for invalid/not implemented).
    pub map: Option<CspMap>,
}

/// Which map a working source list lives in, so edits land where the reference's aliasing
/// would put them (`script-src` falling back to `default-src` is the same set).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Combined(String),
    Star,
}

fn slot_for(map: &CspMap, directive: &str) -> Slot {
    if map.get(directive).is_some() {
        Slot::Combined(directive.to_string())
    } else if map.get("default-src").is_some() {
        Slot::Combined("default-src".to_string())
    } else {
        Slot::Star
    }
}

fn read(map: &CspMap, slot: &Slot, star: &[String]) -> Vec<String> {
    match slot {
        Slot::Combined(d) => map.get(d).cloned().unwrap_or_default(),
        Slot::Star => star.to_vec(),
    }
}

/// Runs the test.
pub fn check(ev: &HttpEvidence, page: &Page) -> CspVerdict {
    let early = |r: CspResult, data: Map<String, Value>| CspVerdict {
        outcome: TestOutcome {
            result: AnyResult::Csp(r),
            data,
        },
        map: None,
    };
    let Some(resp) = ev.final_response() else {
        return early(CspResult::NotImplemented, base_fields(false, false, 0));
    };
    let header: Vec<String> = headers::get(resp, "content-security-policy")
        .into_iter()
        .collect();
    let meta = page.meta_csp.clone();
    let num_policies = header.len() + meta.len();
    let all: Vec<String> = header.iter().chain(meta.iter()).cloned().collect();
    let Ok(mut map) = parse::parse(&all) else {
        return early(
            CspResult::HeaderInvalid,
            base_fields(false, false, num_policies),
        );
    };
    let header_only = parse::parse(&header).unwrap_or_default();
    let meta_only = parse::parse_meta(&meta).unwrap_or_default();
    if header_only.is_empty() && meta_only.is_empty() {
        let report_only = headers::get(resp, "content-security-policy-report-only")
            .is_some_and(|v| !v.is_empty());
        let r = if report_only {
            CspResult::NotImplementedButReportingEnabled
        } else {
            CspResult::NotImplemented
        };
        return early(r, base_fields(false, false, num_policies));
    }

    let star = vec!["*".to_string()];
    let mut result: Option<CspResult> = None;
    let mut strict_dynamic = false;

    let frame_ancestors = header_only
        .get("frame-ancestors")
        .cloned()
        .unwrap_or_else(|| star.clone());
    let base_uri = map.get("base-uri").cloned().unwrap_or_else(|| star.clone());
    let form_action = map
        .get("form-action")
        .cloned()
        .unwrap_or_else(|| star.clone());
    let object_slot = slot_for(&map, "object-src");
    let script_slot = slot_for(&map, "script-src");
    let style_slot = slot_for(&map, "style-src");
    let mut script_star = star.clone();
    let mut style_star = star.clone();

    // 'unsafe-inline' is ignored by browsers next to a nonce or hash.
    for slot_is_script in [true, false] {
        let (slot, own_star) = if slot_is_script {
            (&script_slot, &mut script_star)
        } else {
            (&style_slot, &mut style_star)
        };
        let list = match slot {
            Slot::Combined(d) => map.get_mut(d),
            Slot::Star => Some(own_star),
        };
        if let Some(list) = list
            && has_nonce_or_hash(list)
        {
            list.retain(|s| s != "'unsafe-inline'");
        }
    }
    {
        let list = match &script_slot {
            Slot::Combined(d) => map.get_mut(d),
            Slot::Star => Some(&mut script_star),
        };
        if let Some(list) = list {
            let dynamic = list.iter().any(|s| s == "'strict-dynamic'");
            if dynamic && has_nonce_or_hash(list) {
                list.retain(|s| {
                    !(BROAD.iter().any(|b| s.starts_with(b))
                        || s == "'self'"
                        || s == "'unsafe-inline'")
                });
                strict_dynamic = true;
            } else if dynamic {
                result = Some(CspResult::HeaderInvalid);
            }
        }
    }

    let script_src = read(&map, &script_slot, &script_star);
    let style_src = read(&map, &style_slot, &style_star);
    let object_src = read(&map, &object_slot, &star);
    let mut active: Vec<&String> = map
        .directives
        .iter()
        .filter(|(d, _)| !PASSIVE.contains(&d.as_str()) && d != "script-src")
        .flat_map(|(_, s)| s.iter())
        .collect();
    active.extend(script_src.iter());
    let passive: Vec<&String> = PASSIVE
        .iter()
        .flat_map(|d| {
            map.get(d)
                .or_else(|| map.get("default-src"))
                .into_iter()
                .flatten()
        })
        .collect();
    let https_site = ev.site_is_https();

    let mut set = |r: CspResult| {
        if result.is_none() {
            result = Some(r);
        }
    };
    let unsafe_inline =
        script_src.iter().any(|s| unsafe_source(s)) || object_src.iter().any(|s| broad(s));
    if unsafe_inline {
        set(CspResult::ImplementedWithUnsafeInline);
    }
    let insecure_active = https_site && active.iter().any(|s| insecure_scheme(s));
    if insecure_active {
        set(CspResult::ImplementedWithInsecureScheme);
    }
    let unsafe_eval = script_src
        .iter()
        .chain(style_src.iter())
        .any(|s| s == "'unsafe-eval'");
    if unsafe_eval {
        set(CspResult::ImplementedWithUnsafeEval);
    }
    let insecure_passive = https_site && passive.iter().any(|s| insecure_scheme(s));
    if insecure_passive {
        set(CspResult::ImplementedWithInsecureSchemeInPassiveContentOnly);
    }
    let unsafe_style = style_src.iter().any(|s| unsafe_source(s));
    if unsafe_style {
        set(CspResult::ImplementedWithUnsafeInlineInStyleSrcOnly);
    }
    let default_none = map
        .get("default-src")
        .is_some_and(|d| d.len() == 1 && d[0] == "'none'");
    set(if default_none {
        CspResult::ImplementedWithNoUnsafeDefaultSrcNone
    } else {
        CspResult::ImplementedWithNoUnsafe
    });

    let mut result = result.unwrap_or(CspResult::ImplementedWithNoUnsafe);
    let passes = matches!(
        result,
        CspResult::ImplementedWithNoUnsafe
            | CspResult::ImplementedWithNoUnsafeDefaultSrcNone
            | CspResult::ImplementedWithUnsafeInlineInStyleSrcOnly
            | CspResult::ImplementedWithInsecureSchemeInPassiveContentOnly
    );
    if passes && !map.duplicate_warnings.is_empty() {
        result = CspResult::ImplementedButDuplicateDirectives;
    }

    let mut data = Map::new();
    let mut sorted: Vec<(String, Vec<String>)> = map.directives.clone();
    for (_, sources) in &mut sorted {
        sources.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    }
    data.insert(
        "data".into(),
        Value::Object(sorted.into_iter().map(|(d, s)| (d, json!(s))).collect()),
    );
    data.insert("http".into(), json!(!header.is_empty()));
    data.insert("meta".into(), json!(!meta.is_empty()));
    data.insert(
        "policy".into(),
        json!({
            "antiClickjacking": !frame_ancestors.iter().any(|s| broad(s)),
            "defaultNone": default_none,
            "insecureBaseUri": base_uri.iter().any(|s| unsafe_source(s)),
            "insecureFormAction": form_action.iter().any(|s| broad(s)),
            "insecureSchemeActive": insecure_active,
            "insecureSchemePassive": insecure_passive,
            "strictDynamic": strict_dynamic,
            "unsafeEval": unsafe_eval,
            "unsafeInline": unsafe_inline,
            "unsafeInlineStyle": unsafe_style,
            "unsafeObjects": object_src.iter().any(|s| broad(s)),
        }),
    );
    data.insert("numPolicies".into(), json!(num_policies));
    CspVerdict {
        outcome: TestOutcome {
            result: AnyResult::Csp(result),
            data,
        },
        map: Some(map),
    }
}

fn base_fields(http: bool, meta: bool, num: usize) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("data".into(), Value::Null);
    m.insert("http".into(), json!(http));
    m.insert("meta".into(), json!(meta));
    m.insert("policy".into(), Value::Null);
    m.insert("numPolicies".into(), json!(num));
    m
}

#[cfg(test)]
mod tests;
