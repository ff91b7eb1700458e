//! Picking the address to trust from a provider's list of a user's addresses: the primary one,
//! and only when the provider says it is verified. Each provider spells its list differently.

use serde_json::Value;

use super::user::truthy;

fn address(entry: &Value) -> String {
    entry
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// GitHub's and Gitea's `/user/emails`: `[{email, verified, primary}]`.
pub fn verified_primary(list: &Value) -> String {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|entry| truthy(entry.get("verified")) && truthy(entry.get("primary")))
        .map(address)
        .unwrap_or_default()
}

/// Bitbucket's `/user/emails`: `{values: [{email, is_primary, is_confirmed}]}`.
pub fn bitbucket_confirmed_primary(answer: &Value) -> String {
    answer
        .get("values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|entry| truthy(entry.get("is_primary")) && truthy(entry.get("is_confirmed")))
        .map(address)
        .unwrap_or_default()
}

/// Gitee's `/emails`: `[{email, state, scope: [...]}]`, the one `confirmed` with `primary` in
/// its scope (and well formed: Gitee also lists its no-reply stand-ins).
pub fn gitee_confirmed_primary(list: &Value) -> String {
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry.get("state").and_then(Value::as_str) == Some("confirmed"))
        .filter(|entry| {
            entry
                .get("scope")
                .and_then(Value::as_array)
                .is_some_and(|scope| scope.iter().any(|item| item == "primary"))
        })
        .map(address)
        .find(|email| email_address::EmailAddress::is_valid(email))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn github_and_gitea_need_verified_and_primary() {
        let list = json!([
            {"email": "old@x.io", "verified": true, "primary": false},
            {"email": "new@x.io", "verified": false, "primary": true},
            {"email": "main@x.io", "verified": true, "primary": true}
        ]);
        assert_eq!(verified_primary(&list), "main@x.io");
        assert_eq!(verified_primary(&json!([list[1]])), "");
        assert_eq!(verified_primary(&json!({"message": "no"})), "");
    }

    #[test]
    fn bitbucket_needs_confirmed_and_primary() {
        let answer = json!({"values": [
            {"email": "a@x.io", "is_primary": true, "is_confirmed": false},
            {"email": "b@x.io", "is_primary": false, "is_confirmed": true},
            {"email": "c@x.io", "is_primary": true, "is_confirmed": true}
        ]});
        assert_eq!(bitbucket_confirmed_primary(&answer), "c@x.io");
        assert_eq!(bitbucket_confirmed_primary(&json!({"values": []})), "");
    }

    #[test]
    fn gitee_needs_confirmed_primary_and_a_real_address() {
        let list = json!([
            {"email": "a@x.io", "state": "unconfirmed", "scope": ["primary"]},
            {"email": "not an address", "state": "confirmed", "scope": ["primary"]},
            {"email": "b@x.io", "state": "confirmed", "scope": ["committed"]},
            {"email": "c@x.io", "state": "confirmed", "scope": ["committed", "primary"]}
        ]);
        assert_eq!(gitee_confirmed_primary(&list), "c@x.io");
        // A private address: one object, not a list.
        assert_eq!(
            gitee_confirmed_primary(&json!({"email": "1@user.noreply.gitee.com"})),
            ""
        );
    }
}
