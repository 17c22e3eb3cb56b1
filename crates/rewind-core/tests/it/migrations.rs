//! Migration evidence: the SQL classifier on a corpus of statements (each
//! kind, comments and strings holding `DROP`, dollar-quoted bodies, several
//! statements per file), code migrations (Knex, TypeORM, Sequelize, Rails),
//! and the evidence between two tags of a real repository.

use rewind_core::migrations::{
    Class, Language, Token, Verdict, classify_code, classify_sql, evidence, statements,
};

use crate::repo::TestRepo;

fn class(sql: &str) -> Class {
    classify_sql(sql).0
}

#[test]
fn each_statement_kind_gets_its_class() {
    let additive = [
        "CREATE TABLE users (id bigserial primary key, email text not null)",
        "create table if not exists public.audit (id int)",
        "ALTER TABLE users ADD COLUMN nickname text",
        "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)",
        "CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE active",
        "CREATE TYPE mood AS ENUM ('sad', 'ok')",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto",
        "ALTER TYPE mood ADD VALUE 'happy'",
        "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        "INSERT INTO settings (key, value) VALUES ('a', 'b')",
    ];
    for sql in additive {
        assert_eq!(class(sql), Class::Additive, "{sql}");
    }
    let destructive = [
        "DROP TABLE users",
        "drop index if exists users_email",
        "ALTER TABLE users DROP COLUMN email",
        "ALTER TABLE users RENAME COLUMN email TO mail",
        "ALTER TABLE users RENAME TO people",
        "ALTER TABLE users ALTER COLUMN age TYPE bigint USING age::bigint",
        "ALTER TABLE users ALTER COLUMN age SET DATA TYPE bigint",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL",
        "UPDATE users SET email = lower(email)",
        "DELETE FROM sessions WHERE created_at < now()",
        "TRUNCATE TABLE sessions",
        "ALTER TABLE users MODIFY COLUMN age bigint",
        "ALTER INDEX users_email RENAME TO users_mail",
        "WITH old AS (DELETE FROM sessions RETURNING *) SELECT count(*) FROM old",
    ];
    for sql in destructive {
        assert_eq!(class(sql), Class::Destructive, "{sql}");
    }
    let unknown = [
        "DO $$ BEGIN PERFORM 1; END $$",
        "ALTER TABLE users ADD CONSTRAINT email_unique UNIQUE (email)",
        "CALL backfill()",
        "CLUSTER users USING users_pkey",
    ];
    for sql in unknown {
        assert_eq!(class(sql), Class::Unknown, "{sql}");
    }
}

#[test]
fn drop_inside_comments_strings_and_function_bodies_is_not_a_statement() {
    let sql = r#"
-- DROP TABLE users; was the old way
/* DROP TABLE users; /* nested DROP */ still a comment; */
INSERT INTO notes (text) VALUES ('DROP TABLE users; -- not a comment');
INSERT INTO notes (text) VALUES (E'it\'s; DROP TABLE users');
CREATE FUNCTION purge() RETURNS void AS $body$
BEGIN
  DROP TABLE users;
  DELETE FROM sessions;
END;
$body$ LANGUAGE plpgsql;
CREATE TABLE "drop; table" (id int);
SELECT $1, 'done';
"#;
    let (class, reasons) = classify_sql(sql);
    assert_eq!(class, Class::Additive, "{reasons:#?}");
    let all = statements(sql);
    assert_eq!(all.len(), 5, "{all:#?}");
    assert_eq!(all[0].line, 4);
    assert_eq!(all[2].line, 6);
    assert_eq!(all[3].tokens[2], Token::Quoted("drop; table".to_string()));
}

#[test]
fn a_file_is_as_bad_as_its_worst_statements_which_are_named_with_their_lines() {
    let sql = "BEGIN;\nCREATE TABLE a (id int);\nALTER TABLE b DROP COLUMN c, ADD COLUMN d text;\n\
               DO $$ BEGIN END $$;\nUPDATE b\n  SET d = 'x';\nCOMMIT;\n";
    let (class, reasons) = classify_sql(sql);
    assert_eq!(class, Class::Destructive);
    let got: Vec<(usize, &str)> = reasons.iter().map(|r| (r.line, r.what.as_str())).collect();
    assert_eq!(
        got,
        [(3, "drops column b.c"), (5, "rewrites rows of b")],
        "{reasons:#?}"
    );
    assert_eq!(reasons[1].source, "UPDATE b SET d = 'x'");
    // Only transaction control: nothing changes, which counts as additive.
    assert_eq!(classify_sql("BEGIN; COMMIT;"), (Class::Additive, vec![]));
}

#[test]
fn knex_typeorm_sequelize_and_rails_migrations() {
    let knex_additive = r#"
exports.up = function (knex) {
  return knex.schema.createTable('users', (t) => { t.increments(); t.string('email'); });
};
exports.down = function (knex) {
  return knex.schema.dropTable('users');
};
"#;
    let (class, reasons) = classify_code(knex_additive, Language::JavaScript);
    assert_eq!(
        class,
        Class::Unknown,
        "the down part does not count: {reasons:#?}"
    );

    let knex_destructive = r#"
// table.dropColumn('old') was considered
exports.up = async (knex) => {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('email');
  });
};
exports.down = async () => {};
"#;
    let (class, reasons) = classify_code(knex_destructive, Language::JavaScript);
    assert_eq!(class, Class::Destructive);
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert_eq!(reasons[0].line, 5);
    assert_eq!(reasons[0].what, "calls dropColumn");

    let typeorm = r#"
export class Rename1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "a" ("id" int)`);
    await queryRunner.query(`ALTER TABLE "users" RENAME COLUMN "email" TO "mail"`);
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "a"`);
  }
}
"#;
    let (class, reasons) = classify_code(typeorm, Language::JavaScript);
    assert_eq!(class, Class::Destructive);
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert_eq!(reasons[0].line, 5);

    let sequelize = "module.exports = {\n  up: async (queryInterface) => {\n    \
                     await queryInterface.removeColumn('users', 'email');\n  },\n  \
                     down: async () => {},\n};\n";
    assert_eq!(
        classify_code(sequelize, Language::JavaScript).0,
        Class::Destructive
    );

    let rails = "class RemoveEmail < ActiveRecord::Migration[7.1]\n  def up\n    \
                 # drop_table :users is not what we do\n    remove_column :users, :email\n    \
                 execute <<~SQL\n      UPDATE users SET name = 'x'\n    SQL\n  end\n\n  \
                 def down\n    drop_table :users\n  end\nend\n";
    let (class, reasons) = classify_code(rails, Language::Ruby);
    assert_eq!(class, Class::Destructive);
    let lines: Vec<usize> = reasons.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 6], "{reasons:#?}");
}

#[test]
fn evidence_between_two_tags_of_a_real_repository() {
    let mut repo = TestRepo::new();
    repo.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    repo.write("README.md", "app\n");
    repo.release("shop", "1.0.0");
    repo.tag("v1.0.0");
    repo.write(
        "migrations/002_nickname.sql",
        "-- DROP COLUMN would be wrong here\nALTER TABLE users ADD COLUMN nickname text;\n",
    );
    repo.write(
        "migrations/002_nickname.down.sql",
        "ALTER TABLE users DROP COLUMN nickname;\n",
    );
    repo.write("migrations/README.md", "how to migrate\n");
    repo.write("src/app.sql", "DROP TABLE users;\n");
    repo.release("shop", "1.1.0");
    repo.tag("v1.1.0");
    repo.write(
        "db/migrate/003_email.js",
        "exports.up = (knex) => knex.schema.table('users', (t) => t.renameColumn('a', 'b'));\n",
    );
    repo.write(
        "migrations/003_drop.sql",
        "BEGIN;\nALTER TABLE users DROP COLUMN nickname;\nCOMMIT;\n",
    );
    repo.release("shop", "1.2.0");
    repo.tag("v1.2.0");
    let git = repo.cli();
    let paths = vec!["migrations".to_string(), "db/migrate".to_string()];

    let additive = evidence(&git, "v1.0.0", "v1.1.0", &paths).expect("evidence");
    assert_eq!(additive.verdict, Verdict::Additive);
    let files: Vec<(&str, Class)> = additive
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.class))
        .collect();
    assert_eq!(files, [("migrations/002_nickname.sql", Class::Additive)]);
    assert_eq!(additive.files[0].reasons[0].line, 2);
    let skipped: Vec<&str> = additive.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        skipped,
        ["migrations/002_nickname.down.sql", "migrations/README.md"]
    );

    let destructive = evidence(&git, "v1.1.0", "v1.2.0", &paths).expect("evidence");
    assert_eq!(destructive.verdict, Verdict::Destructive);
    let files: Vec<(&str, Class)> = destructive
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.class))
        .collect();
    assert_eq!(
        files,
        [
            ("db/migrate/003_email.js", Class::Destructive),
            ("migrations/003_drop.sql", Class::Destructive),
        ]
    );
    assert_eq!(
        destructive.files[1].reasons[0].what,
        "drops column users.nickname"
    );

    let none = evidence(&git, "v1.1.0", "v1.1.0", &paths).expect("evidence");
    assert_eq!(none.verdict, Verdict::NoMigrations);
    assert!(evidence(&git, "v1.1.0", "v9.9.9", &paths).is_err());
}
