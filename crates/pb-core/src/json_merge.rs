//! Deep merge of JSON objects, the way PocketBase applies a PATCH of a collection or of the
//! settings: nested objects merge key by key, anything else replaces.

use serde_json::Value;

/// Merges `patch` into `target`. Objects merge recursively; arrays, scalars and `null` replace.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target_map), Value::Object(patch_map)) => {
            for (key, patch_value) in patch_map {
                match target_map.get_mut(key) {
                    Some(existing) if existing.is_object() && patch_value.is_object() => {
                        merge(existing, patch_value)
                    }
                    _ => {
                        target_map.insert(key.clone(), patch_value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_merge_and_scalars_replace() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1], "e": 1});
        merge(&mut target, &json!({"a": {"c": 3}, "d": [2], "f": null}));
        assert_eq!(
            target,
            json!({"a": {"b": 1, "c": 3}, "d": [2], "e": 1, "f": null})
        );
    }
}
