//! Typed diesel tables for PocketBase's fixed system tables: `_collections`, `_params` and
//! `_migrations`. Their DDL lives in [`crate::bootstrap`]; record tables are defined at runtime
//! and go through raw SQL instead (see [`crate::records`]).

diesel::table! {
    /// One row per collection: the definition PocketBase keeps for it.
    #[sql_name = "_collections"]
    collections_table (id) {
        id -> Text,
        system -> Bool,
        #[sql_name = "type"]
        collection_type -> Text,
        name -> Text,
        /// JSON array of field definitions.
        fields -> Text,
        /// JSON array of `CREATE INDEX` statements.
        indexes -> Text,
        #[sql_name = "listRule"]
        list_rule -> Nullable<Text>,
        #[sql_name = "viewRule"]
        view_rule -> Nullable<Text>,
        #[sql_name = "createRule"]
        create_rule -> Nullable<Text>,
        #[sql_name = "updateRule"]
        update_rule -> Nullable<Text>,
        #[sql_name = "deleteRule"]
        delete_rule -> Nullable<Text>,
        /// JSON object: auth options (secrets included) or `{"viewQuery": …}`.
        options -> Text,
        created -> Text,
        updated -> Text,
    }
}

diesel::table! {
    /// Application parameters (`settings`), each a JSON value.
    #[sql_name = "_params"]
    params_table (id) {
        id -> Text,
        value -> Nullable<Text>,
        created -> Text,
        updated -> Text,
    }
}

diesel::table! {
    /// The migrations PocketBase considers applied, with the microsecond time they ran.
    #[sql_name = "_migrations"]
    migrations_table (file) {
        file -> Text,
        applied -> BigInt,
    }
}
