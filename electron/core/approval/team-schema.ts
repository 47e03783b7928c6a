/**
 * The team database's approval tables (migration 4 of electron/core/audit/team.ts). Append-only like
 * every team table: the console's account needs only SELECT and INSERT. A request is a row, each
 * answer a row, and the end of the wait a row; `inserted_by` is filled by a trigger with USER(), the
 * login the server authenticated, so who answered is what the database says, not what the client wrote.
 */
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const APPROVAL_MIGRATION_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS approval_requests (
    request_id VARCHAR(255) NOT NULL PRIMARY KEY,
    run_id VARCHAR(128) NOT NULL,
    step VARCHAR(1024) NOT NULL,
    environment VARCHAR(255) NOT NULL,
    operator VARCHAR(255) NOT NULL,
    body LONGTEXT NOT NULL,
    requested_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    inserted_by VARCHAR(384) NOT NULL DEFAULT '',
    KEY environment_run (environment, run_id)
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS approval_answers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    request_id VARCHAR(255) NOT NULL,
    decision VARCHAR(16) NOT NULL,
    reason TEXT NOT NULL,
    answered_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    inserted_by VARCHAR(384) NOT NULL DEFAULT '',
    KEY request (request_id)
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS approval_closures (
    request_id VARCHAR(255) NOT NULL PRIMARY KEY,
    outcome VARCHAR(16) NOT NULL,
    closed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    inserted_by VARCHAR(384) NOT NULL DEFAULT ''
  ) ${TABLE_OPTIONS}`,
  'CREATE TRIGGER IF NOT EXISTS approval_requests_inserted_by BEFORE INSERT ON approval_requests FOR EACH ROW SET NEW.inserted_by = USER()',
  'CREATE TRIGGER IF NOT EXISTS approval_answers_inserted_by BEFORE INSERT ON approval_answers FOR EACH ROW SET NEW.inserted_by = USER()',
  'CREATE TRIGGER IF NOT EXISTS approval_closures_inserted_by BEFORE INSERT ON approval_closures FOR EACH ROW SET NEW.inserted_by = USER()',
];
