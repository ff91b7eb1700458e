//! Every provider PocketBase 0.40 knows, with its defaults: display name, whether it uses
//! PKCE, the scopes it asks for, and its three endpoints. A collection's provider config
//! overrides any of them; mailcow has no endpoints of its own (each server is self-hosted), and
//! Gitea/Forgejo and Lark are pointed at other hosts the same way.

/// How a provider's profile is fetched and read; one per provider family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Apple,
    Bitbucket,
    Box,
    Discord,
    Facebook,
    Gitea,
    Gitee,
    Github,
    Gitlab,
    Google,
    Instagram,
    Kakao,
    Lark,
    Linear,
    Livechat,
    Mailcow,
    Microsoft,
    Monday,
    Notion,
    Oidc,
    Patreon,
    PlanningCenter,
    Spotify,
    Strava,
    Trakt,
    Twitch,
    Twitter,
    Vk,
    Wakatime,
    Yandex,
}

/// A provider's built-in settings.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub kind: Kind,
    pub display_name: &'static str,
    /// Off for Linear and VK, which refuse a PKCE challenge, and for Bitbucket (as in
    /// PocketBase); a config's `pkce` overrides it.
    pub pkce: bool,
    pub scopes: &'static [&'static str],
    pub auth_url: &'static str,
    pub token_url: &'static str,
    pub user_info_url: &'static str,
}

const fn with_pkce(
    kind: Kind,
    display_name: &'static str,
    scopes: &'static [&'static str],
    [auth_url, token_url, user_info_url]: [&'static str; 3],
) -> Defaults {
    Defaults {
        kind,
        display_name,
        pkce: true,
        scopes,
        auth_url,
        token_url,
        user_info_url,
    }
}

const fn without_pkce(
    kind: Kind,
    display_name: &'static str,
    scopes: &'static [&'static str],
    endpoints: [&'static str; 3],
) -> Defaults {
    let mut defaults = with_pkce(kind, display_name, scopes, endpoints);
    defaults.pkce = false;
    defaults
}

/// The defaults of the provider called `name`; `None` for a name PocketBase does not know.
pub fn defaults(name: &str) -> Option<Defaults> {
    use Kind::*;
    let defaults = match name {
        "apple" => with_pkce(
            Apple,
            "Apple",
            &["name", "email"],
            [
                "https://appleid.apple.com/auth/authorize",
                "https://appleid.apple.com/auth/token",
                "",
            ],
        ),
        "google" => with_pkce(
            Google,
            "Google",
            &[
                "https://www.googleapis.com/auth/userinfo.profile",
                "https://www.googleapis.com/auth/userinfo.email",
            ],
            [
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://www.googleapis.com/oauth2/v3/userinfo",
            ],
        ),
        "microsoft" => with_pkce(
            Microsoft,
            "Microsoft",
            &["User.Read"],
            [
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                "https://graph.microsoft.com/v1.0/me",
            ],
        ),
        "yandex" => with_pkce(
            Yandex,
            "Yandex",
            &["login:email", "login:avatar", "login:info"],
            [
                "https://oauth.yandex.com/authorize",
                "https://oauth.yandex.com/token",
                "https://login.yandex.ru/info",
            ],
        ),
        "facebook" => with_pkce(
            Facebook,
            "Facebook",
            &["email"],
            [
                "https://www.facebook.com/v3.2/dialog/oauth",
                "https://graph.facebook.com/v3.2/oauth/access_token",
                "https://graph.facebook.com/me?fields=name,email,picture.type(large)",
            ],
        ),
        "instagram2" => with_pkce(
            Instagram,
            "Instagram",
            &["instagram_business_basic"],
            [
                "https://www.instagram.com/oauth/authorize",
                "https://api.instagram.com/oauth/access_token",
                "https://graph.instagram.com/me?fields=id,username,account_type,user_id,name,\
                 profile_picture_url,followers_count,follows_count,media_count",
            ],
        ),
        "github" => with_pkce(
            Github,
            "GitHub",
            &["read:user", "user:email"],
            [
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
            ],
        ),
        "gitlab" => with_pkce(
            Gitlab,
            "GitLab",
            &["read_user"],
            [
                "https://gitlab.com/oauth/authorize",
                "https://gitlab.com/oauth/token",
                "https://gitlab.com/api/v4/user",
            ],
        ),
        "bitbucket" => without_pkce(
            Bitbucket,
            "Bitbucket",
            &["account"],
            [
                "https://bitbucket.org/site/oauth2/authorize",
                "https://bitbucket.org/site/oauth2/access_token",
                "https://api.bitbucket.org/2.0/user",
            ],
        ),
        "gitee" => with_pkce(
            Gitee,
            "Gitee",
            &["user_info", "emails"],
            [
                "https://gitee.com/oauth/authorize",
                "https://gitee.com/oauth/token",
                "https://gitee.com/api/v5/user",
            ],
        ),
        "gitea" => with_pkce(
            Gitea,
            "Gitea/Forgejo",
            &["read:user", "user:email"],
            [
                "https://gitea.com/login/oauth/authorize",
                "https://gitea.com/login/oauth/access_token",
                "https://gitea.com/api/v1/user",
            ],
        ),
        "discord" => with_pkce(
            Discord,
            "Discord",
            &["identify", "email"],
            [
                "https://discord.com/api/oauth2/authorize",
                "https://discord.com/api/oauth2/token",
                "https://discord.com/api/users/@me",
            ],
        ),
        "twitter" => with_pkce(
            Twitter,
            "X/Twitter",
            // `tweet.read` is unused, but X answers 403 on users/me without it.
            &["users.read", "users.email", "tweet.read"],
            [
                "https://x.com/i/oauth2/authorize",
                "https://api.x.com/2/oauth2/token",
                "https://api.x.com/2/users/me?user.fields=id,name,username,profile_image_url,\
                 confirmed_email",
            ],
        ),
        "kakao" => with_pkce(
            Kakao,
            "Kakao",
            &["account_email", "profile_nickname", "profile_image"],
            [
                "https://kauth.kakao.com/oauth/authorize",
                "https://kauth.kakao.com/oauth/token",
                "https://kapi.kakao.com/v2/user/me",
            ],
        ),
        "vk" => without_pkce(
            Vk,
            "ВКонтакте",
            &["email"],
            [
                "https://oauth.vk.com/authorize",
                "https://oauth.vk.com/access_token",
                "https://api.vk.com/method/users.get?fields=photo_max,screen_name&v=5.131",
            ],
        ),
        "linear" => without_pkce(
            Linear,
            "Linear",
            &["read"],
            [
                "https://linear.app/oauth/authorize",
                "https://api.linear.app/oauth/token",
                "https://api.linear.app/graphql",
            ],
        ),
        "notion" => with_pkce(
            Notion,
            "Notion",
            &[],
            [
                "https://api.notion.com/v1/oauth/authorize",
                "https://api.notion.com/v1/oauth/token",
                "https://api.notion.com/v1/users/me",
            ],
        ),
        "monday" => with_pkce(
            Monday,
            "monday.com",
            &["me:read"],
            [
                "https://auth.monday.com/oauth2/authorize",
                "https://auth.monday.com/oauth2/token",
                "https://api.monday.com/v2",
            ],
        ),
        // Feishu by default; Lark's international site is set through the three URLs.
        "lark" => with_pkce(
            Lark,
            "Lark",
            &[],
            [
                "https://accounts.feishu.cn/open-apis/authen/v1/authorize",
                "https://open.feishu.cn/open-apis/authen/v2/oauth/token",
                "https://open.feishu.cn/open-apis/authen/v1/user_info",
            ],
        ),
        "box" => with_pkce(
            Box,
            "Box",
            &["root_readonly"],
            [
                "https://account.box.com/api/oauth2/authorize",
                "https://api.box.com/oauth2/token",
                "https://api.box.com/2.0/users/me",
            ],
        ),
        "spotify" => with_pkce(
            Spotify,
            "Spotify",
            &["user-read-private"],
            [
                "https://accounts.spotify.com/authorize",
                "https://accounts.spotify.com/api/token",
                "https://api.spotify.com/v1/me",
            ],
        ),
        "trakt" => with_pkce(
            Trakt,
            "Trakt",
            &[],
            [
                "https://trakt.tv/oauth/authorize",
                "https://api.trakt.tv/oauth/token",
                "https://api.trakt.tv/users/settings",
            ],
        ),
        "twitch" => with_pkce(
            Twitch,
            "Twitch",
            &["user:read:email"],
            [
                "https://id.twitch.tv/oauth2/authorize",
                "https://id.twitch.tv/oauth2/token",
                "https://api.twitch.tv/helix/users",
            ],
        ),
        "patreon" => with_pkce(
            Patreon,
            "Patreon",
            &["identity", "identity[email]"],
            [
                "https://www.patreon.com/oauth2/authorize",
                "https://www.patreon.com/api/oauth2/token",
                "https://www.patreon.com/api/oauth2/v2/identity?fields%5Buser%5D=full_name,email,\
                 vanity,image_url,is_email_verified",
            ],
        ),
        "strava" => with_pkce(
            Strava,
            "Strava",
            &["profile:read_all"],
            [
                "https://www.strava.com/oauth/authorize",
                "https://www.strava.com/api/v3/oauth/token",
                "https://www.strava.com/api/v3/athlete",
            ],
        ),
        "wakatime" => with_pkce(
            Wakatime,
            "WakaTime",
            &["email"],
            [
                "https://wakatime.com/oauth/authorize",
                "https://wakatime.com/oauth/token",
                "https://wakatime.com/api/v1/users/current",
            ],
        ),
        // Scopes are chosen in LiveChat's own console, so none are asked for here.
        "livechat" => with_pkce(
            Livechat,
            "LiveChat",
            &[],
            [
                "https://accounts.livechat.com/",
                "https://accounts.livechat.com/token",
                "https://accounts.livechat.com/v2/accounts/me",
            ],
        ),
        "mailcow" => with_pkce(Mailcow, "mailcow", &["profile"], ["", "", ""]),
        "planningcenter" => with_pkce(
            PlanningCenter,
            "Planning Center",
            &["people"],
            [
                "https://api.planningcenteronline.com/oauth/authorize",
                "https://api.planningcenteronline.com/oauth/token",
                "https://api.planningcenteronline.com/people/v2/me",
            ],
        ),
        "oidc" | "oidc2" | "oidc3" => {
            with_pkce(Oidc, "OIDC", &["openid", "email", "profile"], ["", "", ""])
        }
        _ => return None,
    };
    Some(defaults)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb_core::oauth2::PROVIDER_NAMES;

    #[test]
    fn every_name_pocketbase_accepts_has_defaults() {
        for name in PROVIDER_NAMES {
            assert!(defaults(name).is_some(), "{name}");
        }
        assert!(defaults("instagram").is_none());
    }

    #[test]
    fn endpoints_are_whole_urls_without_stray_spaces() {
        for name in PROVIDER_NAMES {
            let Some(defaults) = defaults(name) else {
                continue;
            };
            for url in [
                defaults.auth_url,
                defaults.token_url,
                defaults.user_info_url,
            ] {
                assert!(
                    url.is_empty() || url.starts_with("https://"),
                    "{name}: {url}"
                );
                assert!(!url.contains(char::is_whitespace), "{name}: {url}");
            }
        }
    }

    #[test]
    fn pkce_is_off_only_where_the_provider_refuses_it() {
        let off: Vec<&str> = PROVIDER_NAMES
            .into_iter()
            .filter(|name| defaults(name).is_some_and(|d| !d.pkce))
            .collect();
        assert_eq!(off, ["bitbucket", "vk", "linear"]);
    }
}
