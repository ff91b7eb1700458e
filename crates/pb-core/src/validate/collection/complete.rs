//! What PocketBase fills in before it validates a collection: ids, timestamps, field ids, the `id`
//! field, the auth system fields and indexes, token secrets, and index statements retargeted at
//! the collection's (possibly renamed) table.
//!
//! Field lists are assembled the way PocketBase loads them: a field whose id (or, without an id,
//! whose name) repeats an earlier one replaces it in place, so a body cannot create two fields
//! that share an id.

use crate::collection::{AuthOptions, Collection};
use crate::field::{Field, FieldKind};
use crate::ids;
use crate::system;

use super::index::{has_single_column_unique_index, parse_index};

/// The whole completion; see [`super::complete_collection`].
pub(super) fn complete(collection: &mut Collection, old: Option<&Collection>, now: &str) {
    fill_id_and_timestamps(collection, old, now);
    if collection.is_view() {
        return;
    }
    let input = std::mem::take(&mut collection.fields);
    collection.fields = assemble_fields(input, old);
    ensure_primary_id_field(&mut collection.fields);
    if collection.is_auth() {
        ensure_auth_system_fields(&mut collection.fields);
        ensure_auth_indexes(collection);
        collection
            .auth
            .get_or_insert_with(AuthOptions::default)
            .fill_missing_secrets();
    }
    keep_system_flags_of_old_fields(&mut collection.fields, old);
    retarget_indexes(collection);
}

fn fill_id_and_timestamps(collection: &mut Collection, old: Option<&Collection>, now: &str) {
    match old {
        Some(old) => {
            collection.id = old.id.clone();
            collection.created = old.created.clone();
        }
        None => {
            if collection.id.is_empty() {
                collection.id =
                    ids::collection_id(collection.collection_type.as_str(), &collection.name);
            }
            collection.created = now.to_string();
        }
    }
    collection.updated = now.to_string();
}

/// Builds the field list in body order, giving id-less fields an id and letting repeats replace
/// the earlier field.
fn assemble_fields(input: Vec<Field>, old: Option<&Collection>) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::with_capacity(input.len());
    for mut field in input {
        let repeated = if field.id.is_empty() {
            fields
                .iter()
                .position(|earlier| !field.name.is_empty() && earlier.name == field.name)
        } else {
            fields.iter().position(|earlier| earlier.id == field.id)
        };
        match repeated {
            Some(position) => {
                field.id = fields[position].id.clone();
                fields[position] = field;
            }
            None => {
                if field.id.is_empty() {
                    field.id = id_for_new_field(&field, &fields, old);
                }
                fields.push(field);
            }
        }
    }
    fields
}

/// The id of a field sent without one: the old collection's id for a field of the same name and
/// type (PATCH bodies that drop ids must not turn a field into a new column), otherwise
/// `<type><crc32(name)>`, with a numeric suffix when that is taken.
fn id_for_new_field(field: &Field, fields: &[Field], old: Option<&Collection>) -> String {
    let taken = |id: &str| fields.iter().any(|existing| existing.id == id);
    let same_in_old = old
        .and_then(|old| old.field(&field.name))
        .filter(|old_field| old_field.type_name() == field.type_name() && !taken(&old_field.id));
    if let Some(old_field) = same_in_old {
        return old_field.id.clone();
    }
    unique_field_id(&ids::field_id(field.type_name(), &field.name), fields)
}

fn unique_field_id(base: &str, fields: &[Field]) -> String {
    let taken = |id: &str| fields.iter().any(|existing| existing.id == id);
    if !taken(base) {
        return base.to_string();
    }
    (2..1000)
        .map(|suffix| format!("{base}{suffix}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| format!("{base}{}", ids::random_string(5, ids::RECORD_ID_ALPHABET)))
}

/// Makes sure a text `id` field exists (first when added) and is the system primary key.
fn ensure_primary_id_field(fields: &mut Vec<Field>) {
    let existing = fields
        .iter_mut()
        .find(|field| field.name == "id" && matches!(field.kind, FieldKind::Text(_)));
    if let Some(field) = existing {
        field.system = true;
        field.hidden = false;
        if let FieldKind::Text(options) = &mut field.kind {
            options.required = true;
            options.primary_key = true;
            if options.pattern.is_empty() {
                options.pattern = "^[a-z0-9]+$".to_string();
            }
        }
        return;
    }
    let primary_id = Field::primary_id();
    // A renamed id field keeps the primary id's field id; validation then reports the missing
    // primary key instead of a silent re-add.
    if fields.iter().any(|field| field.id == primary_id.id) {
        return;
    }
    fields.insert(0, primary_id);
}

/// Adds the missing auth system fields at the end (as PocketBase does) and forces the flags of
/// those present. A field with a system name but another type is replaced, keeping its id.
fn ensure_auth_system_fields(fields: &mut Vec<Field>) {
    for template in system::auth_system_fields() {
        if template.name == "id" {
            continue;
        }
        match fields.iter().position(|field| field.name == template.name) {
            Some(position) if fields[position].type_name() == template.type_name() => {
                force_auth_system_flags(&mut fields[position]);
            }
            Some(position) => {
                let id = fields[position].id.clone();
                fields[position] = Field { id, ..template };
            }
            None => {
                let id = unique_field_id(&template.id, fields);
                fields.push(Field { id, ..template });
            }
        }
    }
}

fn force_auth_system_flags(field: &mut Field) {
    field.system = true;
    match &mut field.kind {
        FieldKind::Password(options) => {
            field.hidden = true;
            options.required = true;
        }
        FieldKind::Text(options) => {
            field.hidden = true;
            options.required = true;
        }
        FieldKind::Email(_) => field.hidden = false,
        _ => {}
    }
}

/// Adds the unique `tokenKey` and `email` indexes unless an equivalent one exists.
fn ensure_auth_indexes(collection: &mut Collection) {
    let templates = system::auth_indexes(&collection.id, &collection.name);
    for (column, template) in ["tokenKey", "email"].into_iter().zip(templates) {
        if !has_single_column_unique_index(&collection.indexes, column) {
            collection.indexes.push(template);
        }
    }
}

/// A field that was a system field stays one, whatever the body says.
fn keep_system_flags_of_old_fields(fields: &mut [Field], old: Option<&Collection>) {
    let Some(old) = old else {
        return;
    };
    for field in fields {
        if old
            .fields
            .iter()
            .any(|old_field| old_field.id == field.id && old_field.system)
        {
            field.system = true;
        }
    }
}

/// Points every parseable index at the collection's table (renames, scaffold indexes with an
/// empty table), rebuilding those statements in PocketBase's layout.
fn retarget_indexes(collection: &mut Collection) {
    for statement in &mut collection.indexes {
        if let Some(mut index) = parse_index(statement) {
            if index.table_name != collection.name {
                index.table_name = collection.name.clone();
                *statement = index.build();
            }
        }
    }
}
