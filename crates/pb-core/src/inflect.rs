//! Turning display names into file-name parts the way PocketBase does (its `Snakecase`), so
//! backup and migration names read the same as PocketBase's for the same app and collections.

/// `"My App"` → `"my_app"`, `"helloWorld"` → `"hello_world"`: words split at every character
/// that is neither a letter nor a digit (and at `_`), an underscore before each capital that
/// follows a non-capital, everything lower-cased.
pub fn snake_case(text: &str) -> String {
    let mut result = String::new();
    for word in text
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        if !result.is_empty() {
            result.push('_');
        }
        let mut previous: Option<char> = None;
        for character in word.chars() {
            if character.is_uppercase() && previous.is_some_and(|before| !before.is_uppercase()) {
                result.push('_');
            }
            result.push(character);
            previous = Some(character);
        }
    }
    result.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn splits_words_and_camel_case() {
        assert_eq!(snake_case("Acme"), "acme");
        assert_eq!(snake_case("My App"), "my_app");
        assert_eq!(snake_case("helloWorld-2"), "hello_world_2");
        assert_eq!(snake_case("__a__b"), "a_b");
        assert_eq!(snake_case("HTTPServer"), "httpserver");
        assert_eq!(snake_case(""), "");
    }
}
