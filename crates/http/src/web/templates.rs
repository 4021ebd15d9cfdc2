//! Every template of `web/templates`, compiled once into one environment
//! with the pages' functions (`t`, `asset`) and filters (`num`, `wan`,
//! `wan_range`, `date`, `range`). HTML is escaped automatically.

use super::{assets, format, i18n};
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value};
use std::sync::LazyLock;

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("../../../../web/templates/", $name)))),+]
    };
}

/// (name, source) of every template; a new template is added here.
pub(crate) const SOURCES: &[(&str, &str)] = templates![
    "base.html",
    "sheet.html",
    "forms.html",
    "problem.html",
    "home.html",
    "login.html",
    "register.html",
    "me.html",
    "need_form.html",
    "need_view.html",
    "capability_form.html",
    "agenda.html",
    "table_plan.html",
    "events.html",
    "event.html",
    "search.html",
    "need.html",
    "capability.html",
    "listing_contact.html",
    "key_projects.html",
    "staff.html",
    "staff_dashboard.html",
    "admin_users.html",
    "projects_board.html",
    "project.html",
    "staff_events.html",
    "staff_event_form.html",
    "staff_event.html",
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Printing a misspelt variable fails the render (and so the tests)
    // instead of leaving a silently empty cell; `{% if x %}` still works.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    for (name, source) in SOURCES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("web/templates/{name}: {e:#}"));
    }
    env.set_formatter(html_formatter);
    env.add_function("t", i18n::t);
    env.add_function("asset", assets::asset_function);
    env.add_filter("num", format::num_filter);
    env.add_filter("wan", format::wan_filter);
    env.add_filter("wan_range", format::wan_range_filter);
    env.add_filter("date", format::date_filter);
    env.add_filter("range", format::range_filter);
    env
});

/// minijinja's HTML escaping, except that `/` stays as it is: every
/// attribute is quoted, and `href="/needs/1"` reads better than
/// `href="&#x2f;needs&#x2f;1"` in the page source and in tests.
fn html_formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            let mut rest = text;
            while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
                out.write_str(&rest[..at])?;
                out.write_str(match rest.as_bytes()[at] {
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    b'"' => "&quot;",
                    _ => "&#x27;",
                })?;
                rest = &rest[at + 1..];
            }
            out.write_str(rest)?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Compiles the templates now rather than on the first request.
pub fn init() {
    LazyLock::force(&ENV);
}

/// Renders a template of `web/templates` with its context.
pub fn render(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?.render(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_but_slashes_stay() {
        let mut env = Environment::new();
        env.set_formatter(html_formatter);
        env.add_template(
            "x.html",
            "<a href=\"{{ href }}\" title='{{ t }}'>{{ t }}</a>{{ n }}{{ safe }}",
        )
        .unwrap();
        let html = env
            .get_template("x.html")
            .unwrap()
            .render(minijinja::context! {
                href => "/search?q=a&type=need",
                t => "<b>\"甲\" & '乙'</b>",
                n => 3,
                safe => Value::from_safe_string("<i>ok</i>".into()),
            })
            .unwrap();
        assert_eq!(
            html,
            "<a href=\"/search?q=a&amp;type=need\" title='&lt;b&gt;&quot;甲&quot; &amp; &#x27;乙&#x27;&lt;/b&gt;'>\
             &lt;b&gt;&quot;甲&quot; &amp; &#x27;乙&#x27;&lt;/b&gt;</a>3<i>ok</i>"
        );
    }

    #[test]
    fn every_template_compiles() {
        init();
        for (name, _) in SOURCES {
            assert!(ENV.get_template(name).is_ok(), "{name}");
        }
    }

    /// What the pages' policy refuses: inline scripts, inline styles, handlers.
    #[test]
    fn no_template_has_inline_script_or_style() {
        for (name, source) in SOURCES {
            let lower = source.to_lowercase();
            for bad in ["style=", "<style", "javascript:"] {
                assert!(!lower.contains(bad), "{name} contains {bad}");
            }
            for (at, _) in lower.match_indices(" on") {
                let rest = &lower[at + 3..];
                let letters = rest.chars().take_while(char::is_ascii_lowercase).count();
                let handler = letters >= 3 && rest[letters..].starts_with('=');
                assert!(!handler, "{name}: an inline event handler");
            }
            for (at, _) in lower.match_indices("<script") {
                let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
                assert!(tag.contains(" src="), "{name}: an inline <script>");
            }
        }
    }
}
