//! The page at `GET /`: one self-contained HTML document (its style and script
//! inline, shipped in the binary) and the headers that lock it down.
//!
//! The Content-Security-Policy allows exactly this page's own script and
//! style, by their SHA-256 hashes: no other script, no `eval`, no inline event
//! handlers, and data calls only to the page's own origin.

use std::sync::LazyLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

const HTML: &str = include_str!("index.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page's bytes and its Content-Security-Policy, made once.
pub(crate) struct Page {
    /// The HTML document.
    pub(crate) html: String,
    /// The `Content-Security-Policy` header's value.
    pub(crate) csp: String,
}

/// The page, assembled on first use.
pub(crate) static PAGE: LazyLock<Page> = LazyLock::new(|| Page {
    html: HTML
        .replacen("/*STYLE*/", STYLE, 1)
        .replacen("/*SCRIPT*/", SCRIPT, 1),
    csp: format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        sha256(SCRIPT),
        sha256(STYLE)
    ),
});

/// A CSP hash source: `sha256-` and the base64 of the text's SHA-256.
fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_holds_its_style_and_script_and_no_placeholder() {
        assert!(PAGE.html.contains(STYLE) && PAGE.html.contains(SCRIPT));
        assert!(!PAGE.html.contains("/*STYLE*/") && !PAGE.html.contains("/*SCRIPT*/"));
        assert!(PAGE.html.len() < 48 * 1024, "{} bytes", PAGE.html.len());
    }

    #[test]
    fn the_policy_allows_only_this_script_and_style() {
        assert!(PAGE.csp.contains(&sha256(SCRIPT)));
        assert!(PAGE.csp.contains(&sha256(STYLE)));
        assert!(!PAGE.csp.contains("unsafe"));
        let inline_handler = HTML
            .split_whitespace()
            .any(|word| word.starts_with("on") && word.contains('='));
        assert!(!inline_handler, "no inline event handlers");
    }
}
