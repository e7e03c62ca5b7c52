//! What to change, per fix, with configuration snippets for nginx, Apache, Caddy and HAProxy.
//! Every finding of every grading scheme points at one of these fixes.

use serde::Serialize;

/// One change an admin can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fix {
    DisableLegacyProtocols,
    EnableTls13,
    IntermediateCiphers,
    DropDhe,
    StrongerDhParameters,
    EnableHsts,
    LongerHsts,
    OcspStapling,
    ServeFullChain,
    TrustedCertificate,
    RenewCertificate,
    MatchingCertificate,
    Sha256Certificate,
    StrongerKey,
    ClientCipherOrder,
    ServerCipherOrder,
    DisableCompression,
    UpgradeTlsLibrary,
    ModernCurves,
    ShorterCertificateLifetime,
}

impl Fix {
    /// Every fix, for `vigil explain` and coverage tests.
    pub const ALL: [Fix; 20] = [
        Fix::DisableLegacyProtocols,
        Fix::EnableTls13,
        Fix::IntermediateCiphers,
        Fix::DropDhe,
        Fix::StrongerDhParameters,
        Fix::EnableHsts,
        Fix::LongerHsts,
        Fix::OcspStapling,
        Fix::ServeFullChain,
        Fix::TrustedCertificate,
        Fix::RenewCertificate,
        Fix::MatchingCertificate,
        Fix::Sha256Certificate,
        Fix::StrongerKey,
        Fix::ClientCipherOrder,
        Fix::ServerCipherOrder,
        Fix::DisableCompression,
        Fix::UpgradeTlsLibrary,
        Fix::ModernCurves,
        Fix::ShorterCertificateLifetime,
    ];

    /// The kebab-case id used in JSON (`disable-legacy-protocols`).
    pub fn id(self) -> String {
        let mut out = String::new();
        for (i, c) in format!("{self:?}").chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The fix with this id.
    pub fn from_id(id: &str) -> Option<Fix> {
        Fix::ALL.into_iter().find(|f| f.id() == id)
    }
}

/// The advice for one fix.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub fix: Fix,
    pub summary: &'static str,
    pub nginx: &'static str,
    pub apache: &'static str,
    pub caddy: &'static str,
    pub haproxy: &'static str,
}

/// The advice text and snippets for a fix.
pub fn advice(fix: Fix) -> Advice {
    let (summary, nginx, apache, caddy, haproxy): (&str, &str, &str, &str, &str) = match fix {
        Fix::DisableLegacyProtocols => (
            "Offer only TLS 1.2 and TLS 1.3: SSL 3.0, TLS 1.0 and TLS 1.1 are broken or deprecated (RFC 8996).",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "SSLProtocol -all +TLSv1.2 +TLSv1.3",
            "tls {\n    protocols tls1.2 tls1.3\n}",
            "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        ),
        Fix::EnableTls13 => (
            "Enable TLS 1.3 (needs OpenSSL 1.1.1 or newer).",
            "ssl_protocols TLSv1.2 TLSv1.3;",
            "SSLProtocol -all +TLSv1.2 +TLSv1.3",
            "# Caddy enables TLS 1.3 by default; remove any `protocols` line that caps it.",
            "ssl-default-bind-options ssl-min-ver TLSv1.2",
        ),
        Fix::IntermediateCiphers => (
            "Offer only forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305): the Mozilla intermediate list.",
            "ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;",
            "SSLCipherSuite ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
            "# Caddy's defaults are already forward-secret AEAD only; remove custom `ciphers`.",
            "ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        ),
        Fix::DropDhe => (
            "Remove the DHE suites: ECDHE gives the same forward secrecy faster, and DHE is gone from Mozilla's guideline 5.8.",
            "# drop every DHE-* entry from ssl_ciphers, and the ssl_dhparam line",
            "# drop every DHE-* entry from SSLCipherSuite",
            "# Caddy offers no DHE suites.",
            "# drop every DHE-* entry from ssl-default-bind-ciphers",
        ),
        Fix::StrongerDhParameters => (
            "Use 2048-bit (or larger) DH parameters, such as RFC 7919's ffdhe2048, or drop DHE.",
            "ssl_dhparam /etc/nginx/ffdhe2048.pem;   # curl https://ssl-config.mozilla.org/ffdhe2048.txt",
            "SSLOpenSSLConfCmd DHParameters \"/etc/ssl/ffdhe2048.pem\"",
            "# Caddy offers no DHE suites.",
            "ssl-dh-param-file /etc/haproxy/ffdhe2048.pem",
        ),
        Fix::EnableHsts => (
            "Send Strict-Transport-Security with a max-age of at least six months (two years recommended).",
            "add_header Strict-Transport-Security \"max-age=63072000\" always;",
            "Header always set Strict-Transport-Security \"max-age=63072000\"",
            "header Strict-Transport-Security \"max-age=63072000\"",
            "http-response set-header Strict-Transport-Security \"max-age=63072000\"",
        ),
        Fix::LongerHsts => (
            "Raise the HSTS max-age to at least 15552000 (six months); 63072000 (two years) is recommended.",
            "add_header Strict-Transport-Security \"max-age=63072000\" always;",
            "Header always set Strict-Transport-Security \"max-age=63072000\"",
            "header Strict-Transport-Security \"max-age=63072000\"",
            "http-response set-header Strict-Transport-Security \"max-age=63072000\"",
        ),
        Fix::OcspStapling => (
            "Staple OCSP responses so clients need not ask the CA (faster, more private).",
            "ssl_stapling on;\nssl_stapling_verify on;\nssl_trusted_certificate /path/to/root_and_intermediates.pem;\nresolver 127.0.0.53;",
            "SSLUseStapling On\nSSLStaplingCache \"shmcb:logs/ssl_stapling(32768)\"",
            "# Caddy staples OCSP automatically.",
            "# HAProxy 2.8+: crt-list entry option `ocsp-update on`",
        ),
        Fix::ServeFullChain => (
            "Serve the intermediate certificates with the leaf (the full chain file your CA or ACME client gives you).",
            "ssl_certificate /etc/letsencrypt/live/example.org/fullchain.pem;",
            "SSLCertificateFile /etc/letsencrypt/live/example.org/fullchain.pem",
            "# Caddy serves the full chain it obtained; for manual certificates use the full chain file.",
            "# concatenate leaf, intermediates and key into the PEM given to `crt`",
        ),
        Fix::TrustedCertificate => (
            "Use a certificate from a publicly trusted CA (Let's Encrypt is free and automatic).",
            "# certbot --nginx -d example.org",
            "# certbot --apache -d example.org",
            "# Caddy obtains trusted certificates automatically for public names.",
            "# obtain a certificate with an ACME client and point `crt` at it",
        ),
        Fix::RenewCertificate => (
            "Renew the certificate: it is outside its validity period. Automate renewal (ACME).",
            "# certbot renew && systemctl reload nginx",
            "# certbot renew && systemctl reload apache2",
            "# Caddy renews automatically.",
            "# renew, then reload HAProxy",
        ),
        Fix::MatchingCertificate => (
            "Serve a certificate whose subjectAltName covers this host name.",
            "# certbot --nginx -d example.org -d www.example.org",
            "# certbot --apache -d example.org -d www.example.org",
            "# list the name in the site address; Caddy gets a matching certificate",
            "# obtain a certificate for this name and add it to `crt`",
        ),
        Fix::Sha256Certificate => (
            "Replace certificates signed with SHA-1 or MD5 by SHA-256-signed ones.",
            "# reissue the certificate (any current CA signs with SHA-256)",
            "# reissue the certificate (any current CA signs with SHA-256)",
            "# Caddy's certificates are SHA-256-signed.",
            "# reissue the certificate (any current CA signs with SHA-256)",
        ),
        Fix::StrongerKey => (
            "Use an ECDSA P-256 key, or RSA of at least 2048 bits (3072 for a higher key-exchange score).",
            "# certbot certonly --key-type ecdsa --elliptic-curve secp256r1 -d example.org",
            "# certbot certonly --key-type ecdsa --elliptic-curve secp256r1 -d example.org",
            "# Caddy uses ECDSA P-256 keys by default.",
            "# certbot certonly --key-type ecdsa --elliptic-curve secp256r1 -d example.org",
        ),
        Fix::ClientCipherOrder => (
            "Let the client choose among your (all strong) suites, as Mozilla's intermediate profile does.",
            "ssl_prefer_server_ciphers off;",
            "SSLHonorCipherOrder off",
            "# Caddy follows the client's order.",
            "# HAProxy follows the client's order unless `prefer-client-ciphers` is unset; set it",
        ),
        Fix::ServerCipherOrder => (
            "Impose your own suite order while weak suites are still offered.",
            "ssl_prefer_server_ciphers on;",
            "SSLHonorCipherOrder on",
            "# Caddy cannot impose an order; remove the weak suites instead.",
            "# remove `prefer-client-ciphers` from the bind options",
        ),
        Fix::DisableCompression => (
            "Disable TLS compression (CRIME).",
            "# nginx never enables TLS compression with OpenSSL >= 1.1.0: upgrade OpenSSL",
            "SSLCompression off",
            "# Go's TLS has no compression.",
            "# HAProxy disables TLS compression; upgrade OpenSSL",
        ),
        Fix::UpgradeTlsLibrary => (
            "Upgrade the TLS library (OpenSSL 1.1.1 or 3.x): it fixes Heartbleed and brings secure renegotiation and TLS_FALLBACK_SCSV.",
            "# apt install --only-upgrade nginx openssl",
            "# apt install --only-upgrade apache2 openssl",
            "# upgrade Caddy",
            "# apt install --only-upgrade haproxy openssl",
        ),
        Fix::ModernCurves => (
            "Offer X25519 and P-256 (and P-384) for key exchange, nothing weaker.",
            "ssl_ecdh_curve X25519:prime256v1:secp384r1;",
            "SSLOpenSSLConfCmd Curves X25519:prime256v1:secp384r1",
            "tls {\n    curves x25519 secp256r1 secp384r1\n}",
            "ssl-default-bind-curves X25519:P-256:P-384",
        ),
        Fix::ShorterCertificateLifetime => (
            "Use certificates valid for at most 90 days (366 at most for the intermediate profile), renewed automatically.",
            "# certbot issues 90-day certificates and renews them",
            "# certbot issues 90-day certificates and renews them",
            "# Caddy's certificates are short-lived and renewed automatically.",
            "# use an ACME client with automatic renewal",
        ),
    };
    Advice {
        fix,
        summary,
        nginx,
        apache,
        caddy,
        haproxy,
    }
}
