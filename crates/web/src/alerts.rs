//! The public side of alerts: an instance's admin subscribes (`POST /api/v1/alerts/subscribe`),
//! the target gets a confirmation message with a token, and `GET /alerts/confirm?token=` turns
//! the subscription on. Subscriptions are limited per client address, so the form cannot be
//! used to flood someone's inbox with confirmation messages.

use crate::AppState;
use crate::observatory::error;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
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
        let e = m.entry(ip).or_insert((Instant::now(), 0));
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

/// `POST /api/v1/alerts/subscribe`.
pub async fn subscribe(
    State(st): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<SubscribeQuery>,
) -> Response {
    let Some(d) = &st.alerts else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "alerts-off",
            "this Vigil sends no alerts",
        );
    };
    let (Some(host), Some(channel), Some(target)) = (q.host, q.channel, q.target) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "host, channel and target are required",
        );
    };
    let Some(channel) = vigil_store::Channel::parse(channel.trim()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "channel is webhook, email, ntfy or mastodon",
        );
    };
    let Ok(host) = crate::host_param(&host) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-hostname",
            "Invalid hostname",
        );
    };
    match st.store.instance(&host).await {
        Ok(Some(_)) => {}
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "not-found",
                &format!("{host} is not in the list"),
            );
        }
    }
    if !st.subscribe_limit.admit(client.ip()) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many subscriptions from your address; try again in an hour",
        );
    }
    match d.subscribe(&host, channel, target.trim(), q.secret.as_deref()).await {
        Ok(s) => (
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
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid-subscription", &e.to_string()),
    }
}

/// `?token=`.
#[derive(Debug, Deserialize)]
pub struct ConfirmQuery {
    pub token: Option<String>,
}

/// `GET /alerts/confirm?token=`: a small page saying whether it worked.
pub async fn confirm(State(st): State<AppState>, Query(q): Query<ConfirmQuery>) -> Response {
    let page = |status: StatusCode, text: &str| {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vigil alerts</title><link rel=\"stylesheet\" href=\"/static/vigil.css\"></head><body><main><h1>Vigil alerts</h1><p>{}</p><p><a href=\"/\">The list</a></p></main></body></html>",
            crate::svg::esc(text)
        );
        (status, Html(body)).into_response()
    };
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
