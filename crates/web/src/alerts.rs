//! The public side of alerts: an instance's admin subscribes (`POST /api/v1/alerts/subscribe`),
//! the target gets a confirmation message with a token, and `GET /alerts/confirm?token=` turns
//! the subscription on. Subscriptions are limited per client address, so the form cannot be
//! used to flood someone's inbox with confirmation messages.

use crate::AppState;
use crate::observatory::error;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Subscriptions one client address may ask for per hour.
const PER_HOUR: u32 = 5;

/// Who asked how often this hour.
#[derive(Debug, Default)]
pub struct SubscribeLimit(Mutex<HashMap<IpAddr, (Instant, u32)>>);

impl SubscribeLimit {
    fn admit(&self, ip: IpAddr) -> bool {
        let Ok(mut m) = self.0.lock() else {
            return false;
        };
        if m.len() > 100_000 {
            m.retain(|_, (at, _)| at.elapsed() < Duration::from_secs(3600));
        }
        let e = m
            .entry(vigil_guard::client_key(ip))
            .or_insert((Instant::now(), 0));
        if e.0.elapsed() >= Duration::from_secs(3600) {
            *e = (Instant::now(), 0);
        }
        if e.1 >= PER_HOUR {
            return false;
        }
        e.1 += 1;
        true
    }
}

/// `?host=&channel=webhook|email|ntfy|mastodon&target=&secret=`.
#[derive(Debug, Deserialize)]
pub struct SubscribeQuery {
    pub host: Option<String>,
    pub channel: Option<String>,
    pub target: Option<String>,
    pub secret: Option<String>,
}

/// Why a subscription was not taken: status, error name and message (the API answers them as
/// JSON, the page's form as a page).
struct Refused(StatusCode, &'static str, String);

/// The one subscription path behind the API and the instance page's form: the channel and host
/// checked, the client's hourly limit, then a confirmation sent to the target.
async fn subscribe_any(
    st: &AppState,
    client: IpAddr,
    q: SubscribeQuery,
) -> Result<(String, vigil_store::Channel, vigil_store::Subscription), Refused> {
    let Some(d) = &st.alerts else {
        return Err(Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "alerts-off",
            "this Vigil sends no alerts".into(),
        ));
    };
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (Some(host), Some(channel), Some(target)) =
        (nonempty(q.host), nonempty(q.channel), nonempty(q.target))
    else {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "host, channel and target are required".into(),
        ));
    };
    let Some(channel) = vigil_store::Channel::parse(channel.trim()) else {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "channel is webhook, email, ntfy or mastodon".into(),
        ));
    };
    let Ok(host) = crate::host_param(&host) else {
        return Err(Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-hostname",
            "Invalid hostname".into(),
        ));
    };
    match st.store.instance(&host).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(Refused(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("{host} is not in the list"),
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, "subscribe: store error");
            return Err(store_failed());
        }
    }
    if !st.subscribe_limit.admit(client) {
        return Err(Refused(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many subscriptions from your address; try again in an hour".into(),
        ));
    }
    let secret = q.secret.filter(|s| !s.trim().is_empty());
    match d
        .subscribe(&host, channel, target.trim(), secret.as_deref())
        .await
    {
        Ok(s) => Ok((host, channel, s)),
        Err(vigil_alerts::AlertError::Store(e)) => {
            tracing::warn!(error = %e, "subscribe: store error");
            Err(store_failed())
        }
        Err(e) => Err(Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-subscription",
            e.to_string(),
        )),
    }
}

/// `POST /api/v1/alerts/subscribe`.
pub async fn subscribe(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<SubscribeQuery>,
) -> Response {
    match subscribe_any(&st, client.ip(), q).await {
        Ok((host, channel, s)) => (
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({
                "subscription": s.id,
                "host": host,
                "channel": channel.as_str(),
                "confirmed": s.confirmed,
                "message": "a confirmation was sent to the target; the subscription starts once its link is opened",
            })),
        )
            .into_response(),
        Err(Refused(status, name, message)) => error(status, name, &message),
    }
}

/// The instance page's alert form: channel, target and (for webhooks) the signing secret.
#[derive(Debug, Default, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub secret: String,
}

/// `POST /instances/{host}/alerts`: the form on the instance page. Back to the page when the
/// confirmation went out, else a page saying why not.
pub async fn subscribe_form(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    axum::extract::Form(form): axum::extract::Form<SubscribeForm>,
) -> Response {
    let q = SubscribeQuery {
        host: Some(raw.clone()),
        channel: Some(form.channel),
        target: Some(form.target),
        secret: Some(form.secret),
    };
    match subscribe_any(&st, client.ip(), q).await {
        Ok((host, _, _)) => {
            let to = format!("/instances/{host}?alerts=sent#alerts");
            match axum::http::HeaderValue::from_str(&to) {
                Ok(loc) => {
                    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, loc)]).into_response()
                }
                Err(_) => crate::pages::message(
                    StatusCode::OK,
                    "Alerts",
                    "The confirmation was sent.",
                    "",
                ),
            }
        }
        Err(Refused(status, name, text)) => crate::pages::message(
            status,
            "No subscription",
            &format!("The subscription was not taken: {text}."),
            name,
        ),
    }
}

/// `?token=`.
#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    pub token: Option<String>,
}

/// `GET /alerts/confirm?token=`: a small page saying whether it worked.
pub async fn confirm(State(st): State<AppState>, Query(q): Query<ConfirmQuery>) -> Response {
    let page =
        |status: StatusCode, text: &str| crate::pages::message(status, "Vigil alerts", text, "");
    let Some(d) = &st.alerts else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "This list sends no alerts.",
        );
    };
    let Some(token) = q.token.filter(|t| !t.trim().is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "The link has no token.");
    };
    match d.confirm(&token).await {
        Ok(Some(s)) => page(
            StatusCode::OK,
            &format!(
                "Confirmed: alerts for {} now go to your {}.",
                s.host, s.channel
            ),
        ),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "This link is unknown or was already used.",
        ),
        Err(_) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The confirmation failed; try the link again later.",
        ),
    }
}

/// A store failure, told to the client without the store's own words.
fn store_failed() -> Refused {
    Refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "store-failed",
        "the store failed; try again later".into(),
    )
}
