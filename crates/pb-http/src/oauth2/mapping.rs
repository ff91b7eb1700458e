//! How each provider's profile answer reads as an [`AuthUser`]: where the id, name, username,
//! email and avatar sit in its JSON, which flag says the email is verified, and which
//! accounts may not sign in at all (disabled, suspended). Pure: no requests are made here, so
//! every provider's rules are tested on sample answers.
//!
//! The email is only ever an address the provider vouches for: either a flag says it is
//! verified, or the provider hands out no other kind. Providers whose addresses need another
//! request (GitHub, Gitea, Bitbucket, Gitee) or the `id_token` (Microsoft) get theirs in
//! [`super::profile`].

use serde_json::{Map, Value};

use super::catalog::Kind;
use super::user::{truthy, AuthUser, Token};
use super::OAuth2Error;

/// The value at `path` (object keys, or array indexes written as digits).
fn at<'a>(raw: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = raw.get(*first)?;
    for step in rest {
        value = match value {
            Value::Object(object) => object.get(*step)?,
            Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The text at `path`: strings as they are, numbers (numeric ids) in decimal, else `""`.
pub fn text_at(raw: &Map<String, Value>, path: &[&str]) -> String {
    match at(raw, path) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn flag_at(raw: &Map<String, Value>, path: &[&str]) -> bool {
    truthy(at(raw, path))
}

/// `text_at(raw, email)` when the flag at `verified` is set, else `""`.
fn verified_email(raw: &Map<String, Value>, email: &[&str], verified: &[&str]) -> String {
    if flag_at(raw, verified) {
        text_at(raw, email)
    } else {
        String::new()
    }
}

fn refuse(reason: &str) -> OAuth2Error {
    OAuth2Error::Invalid(reason.to_string())
}

/// Reads `raw` (the provider's profile answer, or the `id_token` claims for Apple and OIDC
/// without a userinfo URL) as `kind` describes its users. An account the provider reports as
/// inactive is refused.
pub fn read_profile(
    kind: Kind,
    mut raw: Map<String, Value>,
    token: &Token,
) -> Result<AuthUser, OAuth2Error> {
    if kind == Kind::Instagram && !raw.contains_key("permissions") {
        // The granted permissions come beside the token; the profile is where clients look.
        if let Some(permissions) = token.answer.get("permissions").filter(|p| !p.is_null()) {
            raw.insert("permissions".into(), permissions.clone());
        }
    }
    let mut user = AuthUser::from_token(token, Map::new());
    let field = |path: &[&str]| text_at(&raw, path);
    match kind {
        Kind::Google | Kind::Oidc | Kind::Apple => {
            user.id = field(&["sub"]);
            user.name = field(&["name"]);
            if kind == Kind::Oidc {
                user.username = field(&["preferred_username"]);
            }
            if kind != Kind::Apple {
                user.avatar_url = field(&["picture"]);
            }
            user.email = verified_email(&raw, &["email"], &["email_verified"]);
            if kind == Kind::Apple && user.name.is_empty() {
                let first = field(&["user", "name", "firstName"]);
                let last = field(&["user", "name", "lastName"]);
                user.name = format!("{first} {last}").trim().to_string();
            }
        }
        Kind::Github | Kind::Gitea => {
            if kind == Kind::Gitea && !flag_at(&raw, &["active"]) {
                return Err(refuse("the Gitea user account is not active"));
            }
            user.id = field(&["id"]);
            user.name = field(&[if kind == Kind::Github {
                "name"
            } else {
                "full_name"
            }]);
            user.username = field(&["login"]);
            user.avatar_url = field(&["avatar_url"]);
            // The email comes from the verified primary address of `<userinfo>/emails`.
        }
        Kind::Gitlab => {
            user.id = field(&["id"]);
            user.name = field(&["name"]);
            user.username = field(&["username"]);
            user.avatar_url = field(&["avatar_url"]);
            if chrono::DateTime::parse_from_rfc3339(&field(&["confirmed_at"])).is_ok() {
                user.email = field(&["email"]);
            }
        }
        Kind::Discord => {
            user.id = field(&["id"]);
            user.username = field(&["username"]);
            let avatar = field(&["avatar"]);
            if !avatar.is_empty() {
                user.avatar_url = format!(
                    "https://cdn.discordapp.com/avatars/{}/{avatar}.png",
                    user.id
                );
            }
            user.name = field(&["global_name"]);
            if user.name.is_empty() {
                user.name = user.username.clone();
                let discriminator = field(&["discriminator"]);
                if !discriminator.is_empty() && discriminator != "0" {
                    user.name = format!("{}#{discriminator}", user.name);
                }
            }
            user.email = verified_email(&raw, &["email"], &["verified"]);
        }
        Kind::Microsoft => {
            user.id = field(&["id"]);
            user.name = field(&["displayName"]);
            // The email depends on `extra.idTokenEmailClaim`; see `profile`.
        }
        Kind::Facebook => {
            user.id = field(&["id"]);
            user.name = field(&["name"]);
            // Facebook only hands out confirmed addresses.
            user.email = field(&["email"]);
            user.avatar_url = field(&["picture", "data", "url"]);
        }
        Kind::Yandex => {
            user.id = field(&["id"]);
            user.name = field(&["real_name"]);
            user.username = field(&["login"]);
            user.email = field(&["default_email"]);
            if !flag_at(&raw, &["is_avatar_empty"]) {
                user.avatar_url = format!(
                    "https://avatars.yandex.net/get-yapic/{}/islands-200",
                    field(&["default_avatar_id"])
                );
            }
        }
        Kind::Instagram => {
            user.id = field(&["user_id"]);
            user.name = field(&["name"]);
            user.username = field(&["username"]);
            user.avatar_url = field(&["profile_picture_url"]);
        }
        Kind::Bitbucket => {
            if field(&["account_status"]) != "active" {
                return Err(refuse("the Bitbucket user is not active"));
            }
            user.id = field(&["uuid"]);
            user.name = field(&["display_name"]);
            user.username = field(&["username"]);
            user.avatar_url = field(&["links", "avatar", "href"]);
        }
        Kind::Gitee => {
            user.id = field(&["id"]);
            user.name = field(&["name"]);
            user.username = field(&["login"]);
            user.avatar_url = field(&["avatar_url"]);
            let email = field(&["email"]);
            if email_address::EmailAddress::is_valid(&email) {
                user.email = email;
            }
        }
        Kind::Twitter => {
            user.id = field(&["data", "id"]);
            user.name = field(&["data", "name"]);
            user.username = field(&["data", "username"]);
            // X only returns confirmed addresses in `confirmed_email`.
            user.email = field(&["data", "confirmed_email"]);
            user.avatar_url = field(&["data", "profile_image_url"]);
        }
        Kind::Kakao => {
            user.id = field(&["id"]);
            user.username = field(&["properties", "nickname"]);
            user.avatar_url = field(&["properties", "profile_image"]);
            if flag_at(&raw, &["kakao_account", "is_email_valid"]) {
                user.email = verified_email(
                    &raw,
                    &["kakao_account", "email"],
                    &["kakao_account", "is_email_verified"],
                );
            }
        }
        Kind::Vk => {
            if at(&raw, &["response", "0"]).is_none() {
                return Err(refuse("the VK answer has no user"));
            }
            user.id = field(&["response", "0", "id"]);
            user.name = format!(
                "{} {}",
                field(&["response", "0", "first_name"]),
                field(&["response", "0", "last_name"])
            )
            .trim()
            .to_string();
            user.username = field(&["response", "0", "screen_name"]);
            user.avatar_url = field(&["response", "0", "photo_max"]);
            // VK sends the (verified) address beside the token, not in the profile.
            user.email = text_at(&token.answer, &["email"]);
        }
        Kind::Linear => {
            if !flag_at(&raw, &["data", "viewer", "active"]) {
                return Err(refuse("the Linear user account is not active"));
            }
            user.id = field(&["data", "viewer", "id"]);
            user.name = field(&["data", "viewer", "name"]);
            user.username = field(&["data", "viewer", "displayName"]);
            user.email = field(&["data", "viewer", "email"]);
            user.avatar_url = field(&["data", "viewer", "avatarUrl"]);
        }
        Kind::Notion => {
            // The token belongs to a bot; its owner is the person who signed in.
            let owned = |key: &str| field(&["bot", "owner", "user", key]);
            user.id = owned("id");
            user.name = owned("name");
            user.avatar_url = owned("avatar_url");
            user.email = field(&["bot", "owner", "user", "person", "email"]);
        }
        Kind::Monday => {
            if !flag_at(&raw, &["data", "me", "enabled"]) {
                return Err(refuse("the monday.com user account is not enabled"));
            }
            user.id = field(&["data", "me", "id"]);
            user.name = field(&["data", "me", "name"]);
            user.avatar_url = field(&["data", "me", "photo_small"]);
            user.email = verified_email(
                &raw,
                &["data", "me", "email"],
                &["data", "me", "is_verified"],
            );
        }
        Kind::Lark => {
            user.id = field(&["data", "union_id"]);
            user.name = field(&["data", "name"]);
            user.avatar_url = field(&["data", "avatar_url"]);
        }
        Kind::Box => {
            let status = field(&["status"]);
            if status != "active" {
                return Err(OAuth2Error::Invalid(format!(
                    "the Box user account is not active (status: {status:?})"
                )));
            }
            user.id = field(&["id"]);
            user.name = field(&["name"]);
            // Box only lets verified addresses sign in; `login` is that address.
            user.email = field(&["login"]);
            user.avatar_url = field(&["avatar_url"]);
        }
        Kind::Spotify => {
            user.id = field(&["id"]);
            user.name = field(&["display_name"]);
            user.avatar_url = field(&["images", "0", "url"]);
            // Spotify does not verify addresses, so none is taken.
        }
        Kind::Trakt => {
            user.id = field(&["user", "ids", "uuid"]);
            user.name = field(&["user", "name"]);
            user.username = field(&["user", "username"]);
            user.avatar_url = field(&["user", "images", "avatar", "full"]);
        }
        Kind::Twitch => {
            if at(&raw, &["data", "0"]).is_none() {
                return Err(refuse("the Twitch answer has no user"));
            }
            user.id = field(&["data", "0", "id"]);
            user.name = field(&["data", "0", "display_name"]);
            user.username = field(&["data", "0", "login"]);
            // Twitch only returns a verified address.
            user.email = field(&["data", "0", "email"]);
            user.avatar_url = field(&["data", "0", "profile_image_url"]);
        }
        Kind::Patreon => {
            user.id = field(&["data", "id"]);
            user.name = field(&["data", "attributes", "full_name"]);
            user.username = field(&["data", "attributes", "vanity"]);
            user.avatar_url = field(&["data", "attributes", "image_url"]);
            user.email = verified_email(
                &raw,
                &["data", "attributes", "email"],
                &["data", "attributes", "is_email_verified"],
            );
        }
        Kind::Strava => {
            let id = field(&["id"]);
            if id != "0" {
                user.id = id;
            }
            user.name = format!("{} {}", field(&["firstname"]), field(&["lastname"]));
            user.username = field(&["username"]);
            user.avatar_url = field(&["profile"]);
        }
        Kind::Wakatime => {
            user.id = field(&["data", "id"]);
            user.name = field(&["data", "display_name"]);
            user.username = field(&["data", "username"]);
            user.email = verified_email(&raw, &["data", "email"], &["data", "is_email_confirmed"]);
            if flag_at(&raw, &["data", "photo_public"]) {
                user.avatar_url = field(&["data", "photo"]);
            }
        }
        Kind::Livechat => {
            user.id = field(&["account_id"]);
            user.name = field(&["name"]);
            user.avatar_url = field(&["avatar_url"]);
            user.email = verified_email(&raw, &["email"], &["email_verified"]);
        }
        Kind::Mailcow => {
            if at(&raw, &["active"]).and_then(Value::as_i64) != Some(1) {
                return Err(refuse("the mailcow user is not active"));
            }
            user.id = field(&["id"]);
            user.name = field(&["full_name"]);
            let username = field(&["username"]);
            user.username = match username.split_once('@') {
                Some((local, _)) => local.to_string(),
                None => username,
            };
            user.email = field(&["email"]);
        }
        Kind::PlanningCenter => {
            if field(&["data", "attributes", "status"]) != "active" {
                return Err(refuse("the Planning Center user is not active"));
            }
            user.id = field(&["data", "id"]);
            user.name = field(&["data", "attributes", "name"]);
            user.avatar_url = field(&["data", "attributes", "avatar"]);
            // A person may have several addresses, none known to be verified: none is taken.
        }
    }
    user.raw_user = raw;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    }

    fn read(kind: Kind, raw: Value) -> AuthUser {
        read_profile(kind, object(raw), &Token::default()).unwrap_or_else(|error| {
            panic!("{kind:?} refused: {error}");
        })
    }

    /// (id, name, username, email, avatar URL).
    fn summary(user: &AuthUser) -> [&str; 5] {
        [
            &user.id,
            &user.name,
            &user.username,
            &user.email,
            &user.avatar_url,
        ]
    }

    #[test]
    fn paths_reach_into_objects_and_arrays() {
        let raw = object(json!({"a": {"b": [{"c": 7}, "x"]}, "n": 12345678901_i64}));
        assert_eq!(text_at(&raw, &["a", "b", "0", "c"]), "7");
        assert_eq!(text_at(&raw, &["a", "b", "1"]), "x");
        assert_eq!(text_at(&raw, &["a", "b", "2"]), "");
        assert_eq!(text_at(&raw, &["a", "c"]), "");
        assert_eq!(text_at(&raw, &["n"]), "12345678901");
    }

    #[test]
    fn yandex_builds_the_avatar_url_unless_the_avatar_is_empty() {
        let raw = json!({"id": "1", "real_name": "Ivan", "login": "ivan",
                         "default_email": "ivan@yandex.ru", "default_avatar_id": "av1",
                         "is_avatar_empty": false});
        let user = read(Kind::Yandex, raw.clone());
        assert_eq!(
            summary(&user),
            [
                "1",
                "Ivan",
                "ivan",
                "ivan@yandex.ru",
                "https://avatars.yandex.net/get-yapic/av1/islands-200"
            ]
        );
        assert_eq!(Value::Object(user.raw_user), raw);
        let mut empty = raw;
        empty["is_avatar_empty"] = json!(true);
        assert_eq!(read(Kind::Yandex, empty).avatar_url, "");
    }

    #[test]
    fn instagram_uses_the_instagram_user_id() {
        let user = read(
            Kind::Instagram,
            json!({"id": "app-scoped", "user_id": "17841", "username": "ann",
                   "name": "Ann", "profile_picture_url": "https://cdn.example/a.jpg"}),
        );
        assert_eq!(
            summary(&user),
            ["17841", "Ann", "ann", "", "https://cdn.example/a.jpg"]
        );
        let token = Token {
            answer: object(json!({"access_token": "t", "permissions": "instagram_business_basic"})),
            ..Token::default()
        };
        let user = read_profile(Kind::Instagram, object(json!({"user_id": "1"})), &token)
            .unwrap_or_default();
        assert_eq!(user.raw_user["permissions"], "instagram_business_basic");
    }

    #[test]
    fn bitbucket_refuses_inactive_accounts() {
        let raw = json!({"uuid": "{abc}", "display_name": "Ann", "username": "ann",
                         "account_status": "active",
                         "links": {"avatar": {"href": "https://bb.example/a.png"}}});
        assert_eq!(
            summary(&read(Kind::Bitbucket, raw.clone())),
            ["{abc}", "Ann", "ann", "", "https://bb.example/a.png"]
        );
        let mut closed = raw;
        closed["account_status"] = json!("closed");
        assert!(read_profile(Kind::Bitbucket, object(closed), &Token::default()).is_err());
    }

    #[test]
    fn gitea_refuses_inactive_accounts_and_leaves_the_email_to_the_emails_list() {
        let raw = json!({"id": 42, "full_name": "Ann", "login": "ann", "email": "a@x.io",
                         "avatar_url": "https://gitea.example/a.png", "active": true});
        assert_eq!(
            summary(&read(Kind::Gitea, raw.clone())),
            ["42", "Ann", "ann", "", "https://gitea.example/a.png"]
        );
        let mut inactive = raw;
        inactive["active"] = json!(false);
        assert!(read_profile(Kind::Gitea, object(inactive), &Token::default()).is_err());
    }

    #[test]
    fn gitee_keeps_only_a_well_formed_profile_email() {
        let raw = json!({"id": 7, "name": "Ann", "login": "ann", "email": "ann@x.io",
                         "avatar_url": "https://gitee.example/a.png"});
        assert_eq!(
            summary(&read(Kind::Gitee, raw.clone())),
            ["7", "Ann", "ann", "ann@x.io", "https://gitee.example/a.png"]
        );
        let mut hidden = raw;
        hidden["email"] = json!(null);
        assert_eq!(read(Kind::Gitee, hidden).email, "");
    }

    #[test]
    fn twitter_reads_the_data_object() {
        let user = read(
            Kind::Twitter,
            json!({"data": {"id": "99", "name": "Ann", "username": "ann",
                            "confirmed_email": "ann@x.io",
                            "profile_image_url": "https://pbs.example/a.jpg"}}),
        );
        assert_eq!(
            summary(&user),
            ["99", "Ann", "ann", "ann@x.io", "https://pbs.example/a.jpg"]
        );
    }

    #[test]
    fn kakao_needs_a_valid_and_verified_email() {
        let raw = json!({"id": 123, "properties": {"nickname": "ann",
                                                   "profile_image": "https://k.example/a.png"},
                         "kakao_account": {"email": "ann@x.io", "is_email_valid": true,
                                           "is_email_verified": true}});
        assert_eq!(
            summary(&read(Kind::Kakao, raw.clone())),
            ["123", "", "ann", "ann@x.io", "https://k.example/a.png"]
        );
        for flag in ["is_email_valid", "is_email_verified"] {
            let mut unverified = raw.clone();
            unverified["kakao_account"][flag] = json!(false);
            assert_eq!(read(Kind::Kakao, unverified).email, "", "{flag}");
        }
    }

    #[test]
    fn vk_takes_the_email_from_the_token_answer() {
        let token = Token {
            answer: object(json!({"access_token": "t", "email": "ann@vk.example"})),
            ..Token::default()
        };
        let raw = json!({"response": [{"id": 5, "first_name": "Ann", "last_name": "",
                                       "screen_name": "ann", "photo_max": "https://vk.example/a"}]});
        let user = read_profile(Kind::Vk, object(raw), &token).unwrap_or_default();
        assert_eq!(
            summary(&user),
            ["5", "Ann", "ann", "ann@vk.example", "https://vk.example/a"]
        );
        assert!(read_profile(Kind::Vk, object(json!({"response": []})), &token).is_err());
    }

    #[test]
    fn linear_and_monday_read_their_graphql_answers_and_refuse_disabled_users() {
        let linear = json!({"data": {"viewer": {"id": "l1", "displayName": "ann", "name": "Ann",
                                                "email": "ann@x.io", "avatarUrl": "https://l/a",
                                                "active": true}}});
        assert_eq!(
            summary(&read(Kind::Linear, linear.clone())),
            ["l1", "Ann", "ann", "ann@x.io", "https://l/a"]
        );
        let mut gone = linear;
        gone["data"]["viewer"]["active"] = json!(false);
        assert!(read_profile(Kind::Linear, object(gone), &Token::default()).is_err());

        let monday = json!({"data": {"me": {"id": "m1", "enabled": true, "name": "Ann",
                                            "email": "ann@x.io", "is_verified": false,
                                            "photo_small": "https://m/a"}}});
        assert_eq!(
            summary(&read(Kind::Monday, monday.clone())),
            ["m1", "Ann", "", "", "https://m/a"]
        );
        let mut disabled = monday;
        disabled["data"]["me"]["enabled"] = json!(false);
        assert!(read_profile(Kind::Monday, object(disabled), &Token::default()).is_err());
    }

    #[test]
    fn notion_reads_the_bots_owner() {
        let user = read(
            Kind::Notion,
            json!({"id": "bot-id", "name": "The bot", "bot": {"owner": {"type": "user",
                   "user": {"id": "u1", "name": "Ann", "avatar_url": "https://n/a",
                            "person": {"email": "ann@x.io"}}}}}),
        );
        assert_eq!(summary(&user), ["u1", "Ann", "", "ann@x.io", "https://n/a"]);
    }

    #[test]
    fn lark_box_spotify_and_trakt() {
        assert_eq!(
            summary(&read(
                Kind::Lark,
                json!({"code": 0, "data": {"union_id": "on_1", "open_id": "ou_1", "name": "Ann",
                                           "avatar_url": "https://lark/a"}})
            )),
            ["on_1", "Ann", "", "", "https://lark/a"]
        );
        let boxed = json!({"id": "b1", "name": "Ann", "login": "ann@x.io", "status": "active",
                           "avatar_url": "https://box/a"});
        assert_eq!(
            summary(&read(Kind::Box, boxed.clone())),
            ["b1", "Ann", "", "ann@x.io", "https://box/a"]
        );
        let mut inactive = boxed;
        inactive["status"] = json!("inactive");
        assert!(read_profile(Kind::Box, object(inactive), &Token::default()).is_err());
        assert_eq!(
            summary(&read(
                Kind::Spotify,
                json!({"id": "s1", "display_name": "Ann", "email": "unverified@x.io",
                       "images": [{"url": "https://sp/a"}, {"url": "https://sp/b"}]})
            )),
            ["s1", "Ann", "", "", "https://sp/a"]
        );
        assert_eq!(
            summary(&read(
                Kind::Trakt,
                json!({"user": {"username": "ann", "name": "Ann",
                                "ids": {"slug": "ann", "uuid": "t-uuid"},
                                "images": {"avatar": {"full": "https://trakt/a"}}}})
            )),
            ["t-uuid", "Ann", "ann", "", "https://trakt/a"]
        );
    }

    #[test]
    fn twitch_needs_a_user_in_its_list() {
        let raw = json!({"data": [{"id": "t1", "login": "ann", "display_name": "Ann",
                                   "email": "ann@x.io", "profile_image_url": "https://tw/a"}]});
        assert_eq!(
            summary(&read(Kind::Twitch, raw)),
            ["t1", "Ann", "ann", "ann@x.io", "https://tw/a"]
        );
        assert!(
            read_profile(Kind::Twitch, object(json!({"data": []})), &Token::default()).is_err()
        );
    }

    #[test]
    fn patreon_wakatime_and_livechat_keep_only_verified_emails() {
        let patreon = json!({"data": {"id": "p1", "attributes": {"full_name": "Ann",
                             "vanity": "ann", "image_url": "https://pat/a",
                             "email": "ann@x.io", "is_email_verified": true}}});
        assert_eq!(
            summary(&read(Kind::Patreon, patreon.clone())),
            ["p1", "Ann", "ann", "ann@x.io", "https://pat/a"]
        );
        let mut unverified = patreon;
        unverified["data"]["attributes"]["is_email_verified"] = json!(false);
        assert_eq!(read(Kind::Patreon, unverified).email, "");

        let waka = json!({"data": {"id": "w1", "display_name": "Ann", "username": "ann",
                                   "email": "ann@x.io", "is_email_confirmed": true,
                                   "photo": "https://waka/a", "photo_public": false}});
        assert_eq!(
            summary(&read(Kind::Wakatime, waka.clone())),
            ["w1", "Ann", "ann", "ann@x.io", ""]
        );
        let mut public = waka;
        public["data"]["photo_public"] = json!(true);
        public["data"]["is_email_confirmed"] = json!(false);
        assert_eq!(
            summary(&read(Kind::Wakatime, public)),
            ["w1", "Ann", "ann", "", "https://waka/a"]
        );

        let livechat = json!({"account_id": "lc1", "name": "Ann", "email": "ann@x.io",
                              "email_verified": true, "avatar_url": "https://lc/a"});
        assert_eq!(
            summary(&read(Kind::Livechat, livechat)),
            ["lc1", "Ann", "", "ann@x.io", "https://lc/a"]
        );
    }

    #[test]
    fn strava_joins_the_names_and_ignores_a_zero_id() {
        let raw = json!({"id": 3, "firstname": "Ann", "lastname": "Example",
                         "username": "ann", "profile": "https://strava/a"});
        assert_eq!(
            summary(&read(Kind::Strava, raw)),
            ["3", "Ann Example", "ann", "", "https://strava/a"]
        );
        assert_eq!(read(Kind::Strava, json!({"id": 0})).id, "");
    }

    #[test]
    fn mailcow_needs_active_one_and_cuts_the_username_at_the_at_sign() {
        let raw = json!({"id": "m1", "full_name": "Ann", "username": "ann@mail.example",
                         "email": "ann@mail.example", "active": 1});
        assert_eq!(
            summary(&read(Kind::Mailcow, raw.clone())),
            ["m1", "Ann", "ann", "ann@mail.example", ""]
        );
        for inactive in [json!(0), json!("1")] {
            let mut refused = raw.clone();
            refused["active"] = inactive;
            assert!(read_profile(Kind::Mailcow, object(refused), &Token::default()).is_err());
        }
    }

    #[test]
    fn planning_center_refuses_inactive_people_and_takes_no_email() {
        let raw = json!({"data": {"id": "pc1", "attributes": {"name": "Ann",
                         "avatar": "https://pc/a", "status": "active"}}});
        assert_eq!(
            summary(&read(Kind::PlanningCenter, raw.clone())),
            ["pc1", "Ann", "", "", "https://pc/a"]
        );
        let mut inactive = raw;
        inactive["data"]["attributes"]["status"] = json!("inactive");
        assert!(read_profile(Kind::PlanningCenter, object(inactive), &Token::default()).is_err());
    }

    #[test]
    fn apple_names_the_user_from_the_user_object_when_the_claims_do_not() {
        let claims = json!({"sub": "a1", "email": "ann@x.io", "email_verified": "true",
                            "user": {"name": {"firstName": "Ann", "lastName": "Example"}}});
        assert_eq!(
            summary(&read(Kind::Apple, claims.clone())),
            ["a1", "Ann Example", "", "ann@x.io", ""]
        );
        let mut named = claims;
        named["name"] = json!("Given Name");
        assert_eq!(read(Kind::Apple, named).name, "Given Name");
    }

    #[test]
    fn the_first_providers_read_as_before() {
        assert_eq!(
            summary(&read(
                Kind::Oidc,
                json!({"sub": "o1", "name": "Ann", "preferred_username": "ann",
                       "email": "ann@x.io", "email_verified": true, "picture": "https://o/a"})
            )),
            ["o1", "Ann", "ann", "ann@x.io", "https://o/a"]
        );
        assert_eq!(
            summary(&read(
                Kind::Google,
                json!({"sub": "g1", "name": "Ann", "email": "ann@x.io", "picture": "https://g/a"})
            )),
            ["g1", "Ann", "", "", "https://g/a"]
        );
        assert_eq!(
            summary(&read(
                Kind::Discord,
                json!({"id": "d1", "username": "ann", "discriminator": "7", "avatar": "h",
                       "email": "ann@x.io", "verified": true})
            )),
            [
                "d1",
                "ann#7",
                "ann",
                "ann@x.io",
                "https://cdn.discordapp.com/avatars/d1/h.png"
            ]
        );
        assert_eq!(
            summary(&read(
                Kind::Gitlab,
                json!({"id": 9, "name": "Ann", "username": "ann", "email": "ann@x.io",
                       "confirmed_at": "2024-01-02T03:04:05Z", "avatar_url": "https://gl/a"})
            )),
            ["9", "Ann", "ann", "ann@x.io", "https://gl/a"]
        );
        assert_eq!(
            summary(&read(
                Kind::Facebook,
                json!({"id": "f1", "name": "Ann", "email": "ann@x.io",
                       "picture": {"data": {"url": "https://fb/a"}}})
            )),
            ["f1", "Ann", "", "ann@x.io", "https://fb/a"]
        );
    }
}
