//! The fediverse retrieval pass: `/.well-known/nodeinfo`, the NodeInfo document it links to,
//! and `/api/v2/instance` (falling back to `/api/v1/instance`), gathered into [`FediEvidence`].
//!
//! The NodeInfo chain and the instance chain run side by side under one deadline. Redirects are
//! followed by hand (at most [`FediLimits::max_redirects`] per document, loops detected), and
//! every URL the server hands over, link or redirect, must pass `Ctx::check`: https only, the
//! configured port, no credentials, and no IP address other than the scanned host. Other host
//! names are allowed because domain delegation (`example.com` answering for
//! `social.example.com`) is how many servers are set up. Every failure becomes a [`FediError`]
//! entry; nothing here returns `Err` or panics on what a server sends.
//!
//! [`FediLimits::max_redirects`]: crate::FediLimits::max_redirects

use crate::config::FediConfig;
use crate::fetch::{self, Get};
use crate::nodeinfo::{nodeinfo_links, preference_order};
use rustls::ClientConfig;
use serde_json::Value;
use std::sync::Arc;
use tokio::time::Instant;
use url::{Host, Url};
use vigil_model::Hostname;
use vigil_model::fedi::{FediDocument, FediError, FediErrorKind, FediEvidence};

const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
const ACCEPT_JRD: &str = "application/jrd+json, application/json;q=0.9";
const ACCEPT_JSON: &str = "application/json";

/// Retrieves the NodeInfo and instance documents of `host` (a bare host name or IP address).
/// Always returns evidence; what failed is listed in its `errors`.
pub async fn retrieve_fedi(host: &str, config: &FediConfig) -> FediEvidence {
    let started = std::time::Instant::now();
    let mut ev = FediEvidence {
        host: host.trim().to_string(),
        nodeinfo_links: Vec::new(),
        nodeinfo_schema: None,
        nodeinfo_url: None,
        nodeinfo: None,
        instance_v2: None,
        instance_v1: None,
        errors: Vec::new(),
        elapsed_ms: 0,
    };
    match Ctx::new(host, config) {
        Ok((ctx, base)) => {
            ev.host = ctx.host.as_str().to_string();
            let (node, instance) =
                tokio::join!(nodeinfo_chain(&ctx, &base), instance_chain(&ctx, &base));
            ev.nodeinfo_links = node.links;
            if let Some((schema, url, doc)) = node.found {
                ev.nodeinfo_schema = Some(schema);
                ev.nodeinfo_url = Some(url.to_string());
                ev.nodeinfo = Some(doc);
            }
            ev.instance_v2 = instance.v2;
            ev.instance_v1 = instance.v1;
            ev.errors = node.errors;
            ev.errors.extend(instance.errors);
        }
        Err(e) => ev.errors.push(e),
    }
    ev.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    ev
}

/// What one retrieval shares: the config, the verifying TLS client, the deadline.
struct Ctx<'a> {
    config: &'a FediConfig,
    host: Hostname,
    tls: Arc<ClientConfig>,
    deadline: Instant,
}

fn error(
    document: FediDocument,
    kind: FediErrorKind,
    url: Option<&Url>,
    detail: impl Into<String>,
) -> FediError {
    FediError {
        document,
        kind,
        url: url.map(Url::to_string),
        http_status: None,
        detail: detail.into(),
    }
}

impl<'a> Ctx<'a> {
    fn new(host: &str, config: &'a FediConfig) -> Result<(Ctx<'a>, Url), FediError> {
        let rejected = |detail: String| {
            error(
                FediDocument::WellKnown,
                FediErrorKind::RejectedUrl,
                None,
                detail,
            )
        };
        let host = Hostname::parse(host).map_err(|e| rejected(e.to_string()))?;
        let port = if config.https_port == 443 {
            String::new()
        } else {
            format!(":{}", config.https_port)
        };
        let base = Url::parse(&format!("https://{}{port}/", host.url_host()))
            .map_err(|e| rejected(format!("cannot build a URL for {host}: {e}")))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                error(
                    FediDocument::WellKnown,
                    FediErrorKind::TlsError,
                    None,
                    format!("TLS setup failed: {e}"),
                )
            })?
            .with_root_certificates(Arc::clone(&config.trust.roots))
            .with_no_client_auth();
        Ok((
            Ctx {
                config,
                host,
                tls: Arc::new(tls),
                deadline: Instant::now() + config.limits.total_timeout,
            },
            base,
        ))
    }

    /// Why a URL handed over by the server is not followed, if it is not.
    fn check(&self, url: &Url) -> Result<(), String> {
        if url.scheme() != "https" {
            return Err(format!("not https: {}", url.scheme()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in URL".into());
        }
        if url.port_or_known_default() != Some(self.config.https_port) {
            return Err(format!(
                "port {} is not the scanned port {}",
                url.port_or_known_default().unwrap_or(0),
                self.config.https_port
            ));
        }
        match url.host() {
            Some(Host::Domain(_)) => Ok(()),
            Some(Host::Ipv4(_) | Host::Ipv6(_))
                if url.host_str() == Some(&self.host.url_host()) =>
            {
                Ok(())
            }
            Some(_) => Err("an IP address other than the scanned host".into()),
            None => Err("no host".into()),
        }
    }

    /// GETs a JSON object, following redirects.
    async fn json(
        &self,
        document: FediDocument,
        start: Url,
        accept: &str,
    ) -> Result<(Url, Value), FediError> {
        let limits = &self.config.limits;
        let mut url = start;
        let mut visited = vec![url.clone()];
        let mut redirects = 0u32;
        loop {
            let now = Instant::now();
            if now >= self.deadline {
                return Err(error(
                    document,
                    FediErrorKind::Timeout,
                    Some(&url),
                    "retrieval deadline reached before the request",
                ));
            }
            let deadline = (now + limits.request_timeout).min(self.deadline);
            let req = Get {
                url: &url,
                accept,
                user_agent: &self.config.user_agent,
                guard: self.config.guard,
            };
            let answer = fetch::get(&req, &self.tls, limits, deadline)
                .await
                .map_err(|f| error(document, f.kind, Some(&url), f.detail))?;
            if REDIRECT_STATUSES.contains(&answer.status) {
                let Some(location) = answer.location else {
                    let mut e = error(
                        document,
                        FediErrorKind::HttpStatus,
                        Some(&url),
                        "redirect without Location",
                    );
                    e.http_status = Some(answer.status);
                    return Err(e);
                };
                let mut next = url.join(location.trim()).map_err(|e| {
                    error(
                        document,
                        FediErrorKind::RejectedUrl,
                        Some(&url),
                        format!("bad Location {location:?}: {e}"),
                    )
                })?;
                next.set_fragment(None);
                self.check(&next).map_err(|why| {
                    error(
                        document,
                        FediErrorKind::RejectedUrl,
                        Some(&next),
                        format!("redirect refused: {why}"),
                    )
                })?;
                if visited.contains(&next) {
                    return Err(error(
                        document,
                        FediErrorKind::RedirectLoop,
                        Some(&next),
                        format!("redirected back to {next}"),
                    ));
                }
                redirects += 1;
                if redirects > limits.max_redirects {
                    return Err(error(
                        document,
                        FediErrorKind::TooManyRedirects,
                        Some(&next),
                        format!("more than {} redirects", limits.max_redirects),
                    ));
                }
                visited.push(next.clone());
                url = next;
                continue;
            }
            if !(200..300).contains(&answer.status) {
                let mut e = error(
                    document,
                    FediErrorKind::HttpStatus,
                    Some(&url),
                    format!("HTTP {}", answer.status),
                );
                e.http_status = Some(answer.status);
                return Err(e);
            }
            let body = answer
                .body
                .strip_prefix(b"\xef\xbb\xbf")
                .unwrap_or(&answer.body);
            let value: Value = serde_json::from_slice(body).map_err(|e| {
                error(
                    document,
                    FediErrorKind::BadJson,
                    Some(&url),
                    format!("not JSON: {e}"),
                )
            })?;
            if !value.is_object() {
                return Err(error(
                    document,
                    FediErrorKind::BadJson,
                    Some(&url),
                    "JSON but not an object",
                ));
            }
            return Ok((url, value));
        }
    }
}

/// The NodeInfo chain's results.
struct NodeinfoFound {
    links: Vec<vigil_model::fedi::NodeinfoLink>,
    found: Option<(String, Url, Value)>,
    errors: Vec<FediError>,
}

async fn nodeinfo_chain(ctx: &Ctx<'_>, base: &Url) -> NodeinfoFound {
    let mut out = NodeinfoFound {
        links: Vec::new(),
        found: None,
        errors: Vec::new(),
    };
    let start = match base.join(".well-known/nodeinfo") {
        Ok(u) => u,
        Err(e) => {
            out.errors.push(error(
                FediDocument::WellKnown,
                FediErrorKind::RejectedUrl,
                Some(base),
                e.to_string(),
            ));
            return out;
        }
    };
    let (well_known_url, doc) = match ctx.json(FediDocument::WellKnown, start, ACCEPT_JRD).await {
        Ok(found) => found,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    out.links = nodeinfo_links(&doc);
    if out.links.is_empty() {
        out.errors.push(error(
            FediDocument::WellKnown,
            FediErrorKind::NoNodeinfoLink,
            Some(&well_known_url),
            "no NodeInfo schema link",
        ));
        return out;
    }
    let candidates: Vec<_> = preference_order(&out.links)
        .into_iter()
        .take(ctx.config.limits.max_nodeinfo_attempts)
        .cloned()
        .collect();
    for link in candidates {
        let url = match well_known_url.join(&link.href) {
            Ok(mut u) => {
                u.set_fragment(None);
                u
            }
            Err(e) => {
                out.errors.push(error(
                    FediDocument::Nodeinfo,
                    FediErrorKind::RejectedUrl,
                    None,
                    format!("bad href {:?}: {e}", link.href),
                ));
                continue;
            }
        };
        if let Err(why) = ctx.check(&url) {
            out.errors.push(error(
                FediDocument::Nodeinfo,
                FediErrorKind::RejectedUrl,
                Some(&url),
                format!("link refused: {why}"),
            ));
            continue;
        }
        match ctx.json(FediDocument::Nodeinfo, url, ACCEPT_JSON).await {
            Ok((final_url, value)) => {
                out.found = Some((link.schema, final_url, value));
                break;
            }
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// The instance chain's results.
struct InstanceFound {
    v2: Option<Value>,
    v1: Option<Value>,
    errors: Vec<FediError>,
}

async fn instance_chain(ctx: &Ctx<'_>, base: &Url) -> InstanceFound {
    let mut out = InstanceFound {
        v2: None,
        v1: None,
        errors: Vec::new(),
    };
    for (document, path) in [
        (FediDocument::InstanceV2, "api/v2/instance"),
        (FediDocument::InstanceV1, "api/v1/instance"),
    ] {
        let url = match base.join(path) {
            Ok(u) => u,
            Err(e) => {
                out.errors.push(error(
                    document,
                    FediErrorKind::RejectedUrl,
                    Some(base),
                    e.to_string(),
                ));
                continue;
            }
        };
        match ctx.json(document, url, ACCEPT_JSON).await {
            Ok((_, value)) if document == FediDocument::InstanceV2 => {
                // v2 is the richer document; v1 is only the fallback.
                out.v2 = Some(value);
                break;
            }
            Ok((_, value)) => out.v1 = Some(value),
            Err(e) => out.errors.push(e),
        }
    }
    out
}
