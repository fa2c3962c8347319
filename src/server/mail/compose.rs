//! The mails Gatehouse sends, each with a plain-text and an HTML part. Names and addresses come
//! from users: they are escaped in the HTML part.

use super::Mail;

/// Wraps `paragraphs` (already HTML) in a minimal, inline-styled document.
fn html(title: &str, paragraphs: &[String]) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{p}</p>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1f2933;max-width:560px;margin:24px auto;\
         line-height:1.5\"><h1 style=\"font-size:20px\">{}</h1>{body}\
         <p style=\"color:#616e7c;font-size:13px\">Gatehouse</p></body></html>",
        escape(title),
        escape(title)
    )
}

fn button(link: &str, label: &str) -> String {
    format!(
        "<a href=\"{}\" style=\"display:inline-block;background:#1f4e79;color:#fff;padding:10px 16px;\
         border-radius:6px;text-decoration:none\">{}</a>",
        escape(link),
        escape(label)
    )
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn minutes(secs: u64) -> String {
    match secs / 60 {
        m if m >= 120 && m % 60 == 0 => format!("{} hours", m / 60),
        1 => "1 minute".into(),
        m => format!("{m} minutes"),
    }
}

pub fn verify_email(to: &str, name: &str, link: &str, ttl_secs: u64) -> Mail {
    let subject = "Confirm your email address".to_owned();
    let ttl = minutes(ttl_secs);
    Mail {
        to: to.into(),
        text: format!(
            "Hello {name},\n\nConfirm that this is your email address by opening this link:\n\n\
             {link}\n\nThe link works for {ttl}. If you did not create an account, ignore this \
             mail.\n"
        ),
        html: html(
            &subject,
            &[
                format!("Hello {},", escape(name)),
                "Confirm that this is your email address:".into(),
                button(link, "Confirm my email"),
                format!(
                    "Or open <a href=\"{0}\">{0}</a>. The link works for {ttl}. If you did not \
                     create an account, ignore this mail.",
                    escape(link)
                ),
            ],
        ),
        subject,
    }
}

pub fn password_reset(to: &str, name: &str, link: &str, ttl_secs: u64) -> Mail {
    let subject = "Reset your password".to_owned();
    let ttl = minutes(ttl_secs);
    Mail {
        to: to.into(),
        text: format!(
            "Hello {name},\n\nSomeone asked to reset the password of your account. To choose a \
             new one, open this link:\n\n{link}\n\nThe link works for {ttl}, once. If it was not \
             you, ignore this mail: your password stays as it is.\n"
        ),
        html: html(
            &subject,
            &[
                format!("Hello {},", escape(name)),
                "Someone asked to reset the password of your account. To choose a new one:".into(),
                button(link, "Choose a new password"),
                format!(
                    "Or open <a href=\"{0}\">{0}</a>. The link works for {ttl}, once. If it was \
                     not you, ignore this mail: your password stays as it is.",
                    escape(link)
                ),
            ],
        ),
        subject,
    }
}

pub fn password_was_reset(to: &str, name: &str) -> Mail {
    let subject = "Your password was changed".to_owned();
    let text = "Your password was just reset with a link sent to this address, and every \
                session of your account was signed out. If it was not you, reset your password \
                again at once and tell us.";
    Mail {
        to: to.into(),
        text: format!("Hello {name},\n\n{text}\n"),
        html: html(
            &subject,
            &[format!("Hello {},", escape(name)), escape(text)],
        ),
        subject,
    }
}

pub fn confirm_new_email(to: &str, name: &str, link: &str, ttl_secs: u64) -> Mail {
    let subject = "Confirm your new email address".to_owned();
    let ttl = minutes(ttl_secs);
    Mail {
        to: to.into(),
        text: format!(
            "Hello {name},\n\nTo make this the email address of your account, open this link:\
             \n\n{link}\n\nThe link works for {ttl}. If you did not ask for this, ignore this \
             mail.\n"
        ),
        html: html(
            &subject,
            &[
                format!("Hello {},", escape(name)),
                "To make this the email address of your account:".into(),
                button(link, "Use this address"),
                format!(
                    "Or open <a href=\"{0}\">{0}</a>. The link works for {ttl}. If you did not \
                     ask for this, ignore this mail.",
                    escape(link)
                ),
            ],
        ),
        subject,
    }
}

pub fn email_change_requested(to: &str, name: &str, new_email: &str) -> Mail {
    let subject = "Your email address is being changed".to_owned();
    Mail {
        to: to.into(),
        text: format!(
            "Hello {name},\n\nSomeone signed in to your account asked to change its email address \
             to {new_email}. It changes once that address confirms. If it was not you, change \
             your password and sign out your other sessions.\n"
        ),
        html: html(
            &subject,
            &[
                format!("Hello {},", escape(name)),
                format!(
                    "Someone signed in to your account asked to change its email address to \
                     <strong>{}</strong>. It changes once that address confirms.",
                    escape(new_email)
                ),
                "If it was not you, change your password and sign out your other sessions.".into(),
            ],
        ),
        subject,
    }
}

pub fn address_in_use(to: &str) -> Mail {
    let subject = "Someone tried to use your email address".to_owned();
    let text = "Someone signed in to another account asked to move it to this email address, \
                which already belongs to your account. Nothing changed. If it was you, sign in \
                with this address instead; otherwise you can ignore this mail.";
    Mail {
        to: to.into(),
        text: format!("Hello,\n\n{text}\n"),
        html: html(&subject, &["Hello,".into(), escape(text)]),
        subject,
    }
}

pub fn account_claimed(to: &str, name: &str) -> Mail {
    let subject = "Your account is now linked to Google".to_owned();
    let text = "You signed in with the Google account of this address. The account had never \
                confirmed its address, so its password was removed and every other session was \
                signed out: whoever set that password no longer has access. Sign in with Google, \
                or set a new password on your profile.";
    Mail {
        to: to.into(),
        text: format!("Hello {name},\n\n{text}\n"),
        html: html(
            &subject,
            &[format!("Hello {},", escape(name)), escape(text)],
        ),
        subject,
    }
}

/// A notice about a change to how the account signs in: `what` happened, and what to do if it
/// was not the owner.
fn security_notice(to: &str, name: &str, subject: &str, what: &str) -> Mail {
    let advice = "If it was not you, reset your password at once and sign out your other \
                  sessions.";
    Mail {
        to: to.into(),
        text: format!("Hello {name},\n\n{what}\n\n{advice}\n"),
        html: html(
            subject,
            &[
                format!("Hello {},", escape(name)),
                escape(what),
                escape(advice),
            ],
        ),
        subject: subject.to_owned(),
    }
}

pub fn second_factor_enabled(to: &str, name: &str) -> Mail {
    security_notice(
        to,
        name,
        "Two-factor sign-in is on",
        "Two-factor sign-in was turned on for your account: signing in now also asks for a code \
         from your authenticator app.",
    )
}

pub fn second_factor_disabled(to: &str, name: &str) -> Mail {
    security_notice(
        to,
        name,
        "Two-factor sign-in is off",
        "Two-factor sign-in was turned off for your account: signing in no longer asks for a \
         code.",
    )
}

pub fn second_factor_reset(to: &str, name: &str) -> Mail {
    security_notice(
        to,
        name,
        "An administrator removed your second factor and passkeys",
        "An administrator turned off two-factor sign-in for your account and removed its \
         passkeys, as is done when a phone is lost: signing in no longer asks for a code. Sign \
         in and set them up again on the Security page.",
    )
}

pub fn passkey_added(to: &str, name: &str, passkey: &str) -> Mail {
    security_notice(
        to,
        name,
        "A passkey was added",
        &format!(
            "A passkey named \"{passkey}\" was added to your account: it can now sign in \
             without your password."
        ),
    )
}

pub fn passkey_removed(to: &str, name: &str, passkey: &str) -> Mail {
    security_notice(
        to,
        name,
        "A passkey was removed",
        &format!(
            "The passkey named \"{passkey}\" was removed from your account: it no longer signs \
             in."
        ),
    )
}

pub fn password_changed(to: &str, name: &str) -> Mail {
    security_notice(
        to,
        name,
        "Your password was changed",
        "The password of your account was just changed, and every other session was signed \
         out.",
    )
}

pub fn recovery_codes_regenerated(to: &str, name: &str) -> Mail {
    security_notice(
        to,
        name,
        "New recovery codes were made",
        "A new set of recovery codes was made for your account: the old codes no longer work.",
    )
}

pub fn identity_linked(to: &str, name: &str, provider: &str) -> Mail {
    security_notice(
        to,
        name,
        &format!("A {provider} account was linked"),
        &format!(
            "A {provider} account with this address was linked to your account: it can now \
             sign in with {provider}."
        ),
    )
}

/// To the address an account just left.
pub fn email_changed(old: &str, name: &str, new_email: &str) -> Mail {
    let subject = "Your account's email address was changed".to_owned();
    let what = format!(
        "The email address of your account was changed from {old} to {new_email}, and every \
         other session was signed out. This address no longer signs in."
    );
    let advice = "If it was not you, someone else controls your account: reply to this mail \
                  at once, so that an administrator can disable it while access is restored \
                  to this address.";
    Mail {
        to: old.into(),
        text: format!("Hello {name},\n\n{what}\n\n{advice}\n"),
        html: html(
            &subject,
            &[
                format!("Hello {},", escape(name)),
                escape(&what),
                escape(advice),
            ],
        ),
        subject,
    }
}

pub fn account_claimed_by_reset(to: &str, name: &str) -> Mail {
    let subject = "Your account is yours again".to_owned();
    let text = "You set a password with a link sent to this address. The account had never \
                confirmed its address, so everything set on it before was removed: its old \
                password, passkeys, two-factor sign-in and recovery codes, and every session \
                was signed out. Whoever signed up with your address no longer has access.";
    Mail {
        to: to.into(),
        text: format!("Hello {name},\n\n{text}\n"),
        html: html(
            &subject,
            &[format!("Hello {},", escape(name)), escape(text)],
        ),
        subject,
    }
}

pub fn recovery_code_used(to: &str, name: &str, left: u32) -> Mail {
    security_notice(
        to,
        name,
        "A recovery code was used",
        &format!(
            "A recovery code was used to sign in to your account. It cannot be used again; \
             {left} are left. Make a new set on the Security page if you are running low."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_has_both_parts_and_the_link() {
        let link = "https://app.example/verify-email?token=abc";
        for mail in [
            verify_email("a@b.co", "Ada", link, 86400),
            password_reset("a@b.co", "Ada", link, 1800),
            confirm_new_email("a@b.co", "Ada", link, 86400),
        ] {
            assert!(mail.text.contains(link), "{}", mail.text);
            assert!(mail.html.contains(link), "{}", mail.html);
            assert!(mail.html.starts_with("<!doctype html>"));
        }
        assert!(
            password_reset("a@b.co", "Ada", link, 1800)
                .text
                .contains("30 minutes")
        );
        assert!(
            verify_email("a@b.co", "Ada", link, 86400)
                .text
                .contains("24 hours")
        );
    }

    #[test]
    fn names_are_escaped_in_html() {
        let mail = verify_email("a@b.co", "<script>x</script>", "https://x/?token=1", 60);
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(
            mail.text.contains("<script>x</script>"),
            "text stays as typed"
        );
    }
}
