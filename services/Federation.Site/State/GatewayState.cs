using System.Globalization;
using Federation.Policies;
using Federation.Trust;
using Microsoft.Data.Sqlite;
using static Federation.Vault.Sqlite.SqliteCommands;

namespace Federation.Site.State;

/// <summary>
/// Everything a gateway must remember across restarts, in one SQLite database (<c>gateway.db</c> in the gateway's
/// state directory): the decision record, the outbox, the contribution sequence counter, the rounds and model
/// versions already acted on, and the privacy ledger's releases.
/// </summary>
/// <remarks>
/// A release is written in one transaction — its decision and checks, the sequence number it used, the privacy it
/// spent, the round it answers and the signed message with its fixed message id — before anything is sent. So a crash
/// at any point either leaves no trace (nothing was spent or sent) or leaves a pending outbox entry that is sent after
/// the restart under the same message id. Payloads that travel inline are stored as blobs in the outbox row, since a
/// file cannot join the transaction. A payload too large for one message is written to a file in
/// <see cref="OutboxPayloadDirectory"/>, named by its SHA-256, and renamed into place before the transaction that
/// refers to it commits; a crash in between leaves a file no entry names, which the next <see cref="Open"/> deletes.
/// </remarks>
public sealed class GatewayState
{
    /// <summary>The database file's name inside the state directory.</summary>
    public const string FileName = "gateway.db";

    /// <summary>The announcement ledger of rounds contributed to (or refused).</summary>
    public const string RoundsLedger = "rounds";

    /// <summary>The announcement ledger of model versions evaluated (or refused).</summary>
    public const string ModelsLedger = "models";

    /// <summary>
    /// The rounds ledger of <paramref name="task"/>: <see cref="RoundsLedger"/> for task <c>default</c> (what a gateway
    /// from before tasks recorded, so its state reads as that task's), <c>rounds/&lt;task&gt;</c> for any other.
    /// </summary>
    public static string RoundsLedgerOf(string task) => LedgerOf(RoundsLedger, task);

    /// <summary>The models ledger of <paramref name="task"/>, named as <see cref="RoundsLedgerOf"/> names rounds ledgers.</summary>
    public static string ModelsLedgerOf(string task) => LedgerOf(ModelsLedger, task);

    private static string LedgerOf(string ledger, string task)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        return task == Contracts.Tasks.TaskIds.Default ? ledger : $"{ledger}/{task}";
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS counters (
            name  TEXT PRIMARY KEY,
            value INTEGER NOT NULL);
        INSERT OR IGNORE INTO counters (name, value) VALUES ('sequence', 0);
        CREATE TABLE IF NOT EXISTS decisions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            decided_at      TEXT NOT NULL,
            kind            TEXT NOT NULL,
            subject         TEXT NOT NULL,
            policy_id       TEXT NOT NULL,
            policy_version  INTEGER NOT NULL,
            policy_sha256   TEXT NOT NULL,
            outcome         TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
            reason          TEXT,
            document_sha256 TEXT,
            sequence        INTEGER UNIQUE,
            message_id      TEXT);
        CREATE TABLE IF NOT EXISTS decision_checks (
            decision_id INTEGER NOT NULL REFERENCES decisions (id),
            ordinal     INTEGER NOT NULL,
            name        TEXT NOT NULL,
            passed      INTEGER NOT NULL,
            detail      TEXT NOT NULL,
            PRIMARY KEY (decision_id, ordinal));
        CREATE TABLE IF NOT EXISTS outbox (
            message_id      TEXT PRIMARY KEY,
            kind            TEXT NOT NULL,
            document        TEXT NOT NULL,
            signature       TEXT NOT NULL,
            payload         BLOB,
            payload_file    TEXT,
            decision_id     INTEGER NOT NULL REFERENCES decisions (id),
            created_at      TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            last_error      TEXT,
            sent_at         TEXT);
        CREATE TABLE IF NOT EXISTS announcements (
            ledger      TEXT NOT NULL,
            number      INTEGER NOT NULL,
            decision_id INTEGER REFERENCES decisions (id),
            PRIMARY KEY (ledger, number));
        CREATE TABLE IF NOT EXISTS privacy_releases (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            released_at      TEXT NOT NULL,
            noise_multiplier REAL NOT NULL,
            sampling_rate    REAL NOT NULL,
            steps            INTEGER NOT NULL,
            decision_id      INTEGER NOT NULL REFERENCES decisions (id),
            task             TEXT NOT NULL DEFAULT 'default');
        """;

    private readonly string connectionString;

    private GatewayState(string directory)
    {
        Directory = directory;
        DatabasePath = Path.Combine(directory, FileName);
        OutboxPayloadDirectory = Path.Combine(directory, "outbox-payloads");
        // No pooling: a restarted node (or fedctl) opens the file afresh, and nothing lingers after a test deletes it.
        connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, ForeignKeys = true }.ToString();
    }

    /// <summary>Raised after a transaction that put a new entry in the outbox has committed.</summary>
    public event Action? OutboxWritten;

    /// <summary>The state directory.</summary>
    public string Directory { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>Where payloads too large to travel inline wait, each in a file named by its SHA-256, until sent.</summary>
    public string OutboxPayloadDirectory { get; }

    /// <summary>Opens the state in <paramref name="directory"/>, creating the folder and the database when missing.</summary>
    /// <param name="directory">The gateway's own state directory; never share one between gateways.</param>
    /// <returns>The state.</returns>
    public static GatewayState Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        var state = new GatewayState(full);
        using var connection = state.Connect();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, Schema);
        // State written before payloads could travel in chunks has no payload_file column yet.
        if (Scalar<long>(connection, null, "SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name = 'payload_file'") == 0)
        {
            Execute(connection, null, "ALTER TABLE outbox ADD COLUMN payload_file TEXT");
        }

        // Releases recorded before tasks existed were all charged to task default's budget.
        if (Scalar<long>(connection, null, "SELECT COUNT(*) FROM pragma_table_info('privacy_releases') WHERE name = 'task'") == 0)
        {
            Execute(connection, null, "ALTER TABLE privacy_releases ADD COLUMN task TEXT NOT NULL DEFAULT 'default'");
        }

        return state;
    }

    /// <summary>Opens an existing state directory for reading (fedctl); never creates one.</summary>
    /// <param name="directory">The state directory.</param>
    /// <returns>The state.</returns>
    /// <exception cref="FileNotFoundException">There is no <see cref="FileName"/> in it.</exception>
    public static GatewayState OpenExisting(string directory)
    {
        var path = Path.Combine(Path.GetFullPath(directory), FileName);
        return File.Exists(path)
            ? Open(directory)
            : throw new FileNotFoundException($"No gateway state at {path}; point --state at the gateway's Gateway:StateDirectory.", path);
    }

    /// <summary>
    /// Writes a payload too large to travel inline to a file in <see cref="OutboxPayloadDirectory"/>, flushed to disk,
    /// hashed, and renamed to its SHA-256 only when complete; pass the returned path to the <see cref="OutboxEntry"/>
    /// recorded by <see cref="RecordReleased"/>.
    /// </summary>
    /// <param name="write">Writes the payload to the stream it is given (e.g. <c>SafeTensors.Write(set, stream)</c>).</param>
    /// <returns>The file's full path, its SHA-256 and its length.</returns>
    public (string Path, string Sha256, long Length) WriteOutboxPayload(Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        System.IO.Directory.CreateDirectory(OutboxPayloadDirectory);
        var temporary = Path.Combine(OutboxPayloadDirectory, $"{Guid.NewGuid():N}.tmp");
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        // Hashed by reading the file back (from the page cache) rather than on the way in: a hashing stream
        // (CryptoStream) would copy each whole tensor, a second copy of a large update in memory.
        string sha256;
        long length;
        using (var file = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            length = file.Length;
            sha256 = Sha256Hex.Of(file);
        }

        var path = Path.Combine(OutboxPayloadDirectory, sha256);
        File.Move(temporary, path, overwrite: true);
        return (path, sha256, length);
    }

    /// <summary>The last contribution sequence number used (0 when none).</summary>
    public long LastSequence()
    {
        using var connection = Connect();
        return Scalar<long>(connection, null, "SELECT value FROM counters WHERE name = 'sequence'");
    }

    /// <summary>The highest number completed in <paramref name="ledger"/>, or -1.</summary>
    /// <param name="ledger">A ledger name: <see cref="RoundsLedgerOf"/> or <see cref="ModelsLedgerOf"/> a task.</param>
    public int LastCompleted(string ledger)
    {
        using var connection = Connect();
        return Scalar<int>(connection, null, "SELECT COALESCE(MAX(number), -1) FROM announcements WHERE ledger = $ledger", ("$ledger", ledger));
    }

    /// <summary>The privacy ledger: every model update released, with the DP-SGD parameters it was charged for and its task.</summary>
    public PrivacyLedger PrivacyLedger()
    {
        using var connection = Connect();
        using var command = Command(connection, null, "SELECT released_at, noise_multiplier, sampling_rate, steps, task FROM privacy_releases ORDER BY id");
        using var reader = command.ExecuteReader();
        var ledger = Policies.PrivacyLedger.Empty;
        while (reader.Read())
        {
            ledger = ledger.Record(new PrivacyRelease(Time(reader.GetString(0)), reader.GetDouble(1), reader.GetDouble(2), reader.GetInt32(3), reader.GetString(4)));
        }

        return ledger;
    }

    /// <summary>Records a refusal, and that the announcement it answered has been dealt with.</summary>
    /// <param name="decision">The refusal.</param>
    /// <param name="ledger">The announcement ledger.</param>
    /// <param name="number">The round or model version.</param>
    /// <returns>The decision's id.</returns>
    public long RecordDenied(DecisionDraft decision, string ledger, int number)
    {
        ArgumentNullException.ThrowIfNull(decision);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var id = InsertDecision(connection, transaction, decision, null, null, null);
        InsertAnnouncement(connection, transaction, ledger, number, id);
        transaction.Commit();
        return id;
    }

    /// <summary>
    /// Records an allowed release in one transaction: its decision and checks, the sequence number it used, the
    /// privacy it spent, the announcement it answered, and the signed message in the outbox.
    /// </summary>
    /// <param name="decision">The allowing decision.</param>
    /// <param name="ledger">The announcement ledger.</param>
    /// <param name="number">The round or model version.</param>
    /// <param name="entry">The signed message, with its fixed message id.</param>
    /// <param name="documentSha256">SHA-256 of the signed text.</param>
    /// <param name="sequence">The contribution's sequence number: exactly <see cref="LastSequence"/> + 1; null for a report.</param>
    /// <param name="release">The privacy spent; null for a report.</param>
    /// <returns>The decision's id.</returns>
    /// <exception cref="InvalidOperationException">The sequence number is not the next one (another writer used it).</exception>
    public long RecordReleased(DecisionDraft decision, string ledger, int number, OutboxEntry entry, string documentSha256, long? sequence, PrivacyRelease? release)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(entry);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        if (sequence is { } next
            && Execute(connection, transaction, "UPDATE counters SET value = $next WHERE name = 'sequence' AND value = $next - 1", ("$next", next)) != 1)
        {
            throw new InvalidOperationException($"Sequence number {next} is not the next one; another writer is using this gateway's state. Nothing was recorded or sent.");
        }

        var id = InsertDecision(connection, transaction, decision, documentSha256, sequence, entry.MessageId);
        if (release is not null)
        {
            Execute(connection, transaction,
                "INSERT INTO privacy_releases (released_at, noise_multiplier, sampling_rate, steps, decision_id, task) VALUES ($at, $z, $q, $steps, $decision, $task)",
                ("$at", Text(release.At)), ("$z", release.NoiseMultiplier), ("$q", release.SamplingRate), ("$steps", release.Steps), ("$decision", id), ("$task", release.Task));
        }

        Execute(connection, transaction,
            "INSERT INTO outbox (message_id, kind, document, signature, payload, payload_file, decision_id, created_at) VALUES ($id, $kind, $document, $signature, $payload, $file, $decision, $created)",
            ("$id", entry.MessageId.ToString()), ("$kind", entry.Kind), ("$document", entry.Document), ("$signature", entry.Signature),
            ("$payload", (object?)entry.Payload ?? DBNull.Value), ("$file", (object?)PayloadFileName(entry.PayloadFile) ?? DBNull.Value),
            ("$decision", id), ("$created", Text(entry.CreatedAt)));
        InsertAnnouncement(connection, transaction, ledger, number, id);
        transaction.Commit();
        OutboxWritten?.Invoke();
        return id;
    }

    /// <summary>The outbox entries not yet confirmed as sent, oldest first.</summary>
    public IReadOnlyList<OutboxEntry> PendingOutbox()
    {
        using var connection = Connect();
        using var command = Command(connection, null,
            "SELECT message_id, kind, document, signature, payload, created_at, attempts, payload_file FROM outbox WHERE sent_at IS NULL ORDER BY rowid");
        using var reader = command.ExecuteReader();
        var entries = new List<OutboxEntry>();
        while (reader.Read())
        {
            entries.Add(new OutboxEntry(
                Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4), Time(reader.GetString(5)), reader.GetInt32(6),
                reader.IsDBNull(7) ? null : Path.Combine(OutboxPayloadDirectory, reader.GetString(7))));
        }

        return entries;
    }

    /// <summary>Marks an entry sent, once the bus has confirmed the publish, and deletes its payload file if it had one.</summary>
    /// <param name="messageId">The entry.</param>
    /// <param name="at">When the confirmation came.</param>
    public void MarkSent(Guid messageId, DateTimeOffset at)
    {
        using var connection = Connect();
        var file = Scalar<string?>(connection, null,
            "UPDATE outbox SET sent_at = $at WHERE message_id = $id AND sent_at IS NULL RETURNING payload_file", ("$at", Text(at)), ("$id", messageId.ToString()));
        if (file is not null)
        {
            File.Delete(Path.Combine(OutboxPayloadDirectory, file));
        }
    }

    /// <summary>Counts a failed publish attempt of an entry and keeps its error.</summary>
    /// <param name="messageId">The entry.</param>
    /// <param name="at">When the attempt failed.</param>
    /// <param name="error">What went wrong.</param>
    /// <returns>The number of failed attempts so far.</returns>
    public int RecordFailedAttempt(Guid messageId, DateTimeOffset at, string error)
    {
        using var connection = Connect();
        return Scalar<int>(connection, null,
            "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = $at, last_error = $error WHERE message_id = $id RETURNING attempts",
            ("$at", Text(at)), ("$error", error), ("$id", messageId.ToString()));
    }

    /// <summary>Every outbox entry, sent or not, oldest first.</summary>
    public IReadOnlyList<OutboxRecord> OutboxHistory()
    {
        using var connection = Connect();
        using var command = Command(connection, null,
            "SELECT message_id, kind, decision_id, document, coalesce(length(payload), json_extract(document, '$.payloadBytes'), 0), created_at, attempts, last_error, sent_at FROM outbox ORDER BY rowid");
        using var reader = command.ExecuteReader();
        var entries = new List<OutboxRecord>();
        while (reader.Read())
        {
            entries.Add(new OutboxRecord(
                Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4), Time(reader.GetString(5)),
                reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : Time(reader.GetString(8))));
        }

        return entries;
    }

    /// <summary>The decision record, newest first.</summary>
    /// <param name="deniedOnly">Only refusals.</param>
    public IReadOnlyList<GatewayDecision> Decisions(bool deniedOnly = false)
    {
        using var connection = Connect();
        var checks = new Dictionary<long, List<PolicyCheck>>();
        using (var command = Command(connection, null, "SELECT decision_id, name, passed, detail FROM decision_checks ORDER BY decision_id, ordinal"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetInt64(0);
                if (!checks.TryGetValue(id, out var list))
                {
                    checks[id] = list = [];
                }

                list.Add(new PolicyCheck(reader.GetString(1), reader.GetInt64(2) != 0, reader.GetString(3)));
            }
        }

        var sql = "SELECT id, decided_at, kind, subject, policy_id, policy_version, policy_sha256, outcome, reason, document_sha256, sequence, message_id FROM decisions"
            + (deniedOnly ? " WHERE outcome = 'denied'" : "") + " ORDER BY id DESC";
        using var decisions = Command(connection, null, sql);
        using var rows = decisions.ExecuteReader();
        var result = new List<GatewayDecision>();
        while (rows.Read())
        {
            var id = rows.GetInt64(0);
            result.Add(new GatewayDecision(
                id, Time(rows.GetString(1)), rows.GetString(2), rows.GetString(3), rows.GetString(4), rows.GetInt32(5), rows.GetString(6),
                rows.GetString(7) == "allowed", rows.IsDBNull(8) ? null : rows.GetString(8), checks.GetValueOrDefault(id) ?? [],
                rows.IsDBNull(9) ? null : rows.GetString(9), rows.IsDBNull(10) ? null : rows.GetInt64(10), rows.IsDBNull(11) ? null : Guid.Parse(rows.GetString(11))));
        }

        return result;
    }

    private string? PayloadFileName(string? path)
    {
        if (path is null)
        {
            return null;
        }

        return Path.GetDirectoryName(Path.GetFullPath(path)) == OutboxPayloadDirectory
            ? Path.GetFileName(path)
            : throw new ArgumentException($"Outbox payload files live in {OutboxPayloadDirectory}; {path} does not.", nameof(path));
    }

    /// <summary>
    /// Deletes payload files no unsent entry names: left by a crash between writing the file and recording its release,
    /// or by an interrupted write. The gateway calls it holding its release gate, so no release is writing one meanwhile.
    /// </summary>
    public void RemoveUnreferencedPayloadFiles()
    {
        if (!System.IO.Directory.Exists(OutboxPayloadDirectory))
        {
            return;
        }

        using var connection = Connect();
        var pending = new HashSet<string>(StringComparer.Ordinal);
        using (var command = Command(connection, null, "SELECT payload_file FROM outbox WHERE sent_at IS NULL AND payload_file IS NOT NULL"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                pending.Add(reader.GetString(0));
            }
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(OutboxPayloadDirectory).Where(file => !pending.Contains(Path.GetFileName(file))))
        {
            File.Delete(file);
        }
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static long InsertDecision(SqliteConnection connection, SqliteTransaction transaction, DecisionDraft decision, string? documentSha256, long? sequence, Guid? messageId)
    {
        var id = Scalar<long>(connection, transaction, """
            INSERT INTO decisions (decided_at, kind, subject, policy_id, policy_version, policy_sha256, outcome, reason, document_sha256, sequence, message_id)
            VALUES ($at, $kind, $subject, $policy, $version, $sha256, $outcome, $reason, $document, $sequence, $message)
            RETURNING id
            """,
            ("$at", Text(decision.DecidedAt)), ("$kind", decision.Kind), ("$subject", decision.Subject), ("$policy", decision.PolicyId),
            ("$version", decision.PolicyVersion), ("$sha256", decision.PolicySha256), ("$outcome", decision.Allowed ? "allowed" : "denied"),
            ("$reason", (object?)decision.Reason ?? DBNull.Value), ("$document", (object?)documentSha256 ?? DBNull.Value),
            ("$sequence", (object?)sequence ?? DBNull.Value), ("$message", (object?)messageId?.ToString() ?? DBNull.Value));
        for (int ordinal = 0; ordinal < decision.Checks.Count; ordinal++)
        {
            var check = decision.Checks[ordinal];
            Execute(connection, transaction, "INSERT INTO decision_checks (decision_id, ordinal, name, passed, detail) VALUES ($id, $ordinal, $name, $passed, $detail)",
                ("$id", id), ("$ordinal", ordinal), ("$name", check.Name), ("$passed", check.Passed ? 1 : 0), ("$detail", check.Detail));
        }

        return id;
    }

    private static void InsertAnnouncement(SqliteConnection connection, SqliteTransaction transaction, string ledger, int number, long decisionId) =>
        Execute(connection, transaction, "INSERT OR IGNORE INTO announcements (ledger, number, decision_id) VALUES ($ledger, $number, $decision)",
            ("$ledger", ledger), ("$number", number), ("$decision", decisionId));

    private static T Scalar<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture);
    }

    private static string Text(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);
}

/// <summary>A decision about to be recorded.</summary>
/// <param name="DecidedAt">When it was made.</param>
/// <param name="Kind"><c>model-update</c> or <c>evaluation-metrics</c>.</param>
/// <param name="Subject">What it was about, e.g. <c>round 3</c>.</param>
/// <param name="PolicyId">The policy's id.</param>
/// <param name="PolicyVersion">The policy's version.</param>
/// <param name="PolicySha256">SHA-256 of the policy file.</param>
/// <param name="Allowed">Allowed or denied.</param>
/// <param name="Reason">Why it was denied; null when allowed.</param>
/// <param name="Checks">The checks performed, in order.</param>
public sealed record DecisionDraft(
    DateTimeOffset DecidedAt, string Kind, string Subject, string PolicyId, int PolicyVersion, string PolicySha256, bool Allowed, string? Reason, IReadOnlyList<PolicyCheck> Checks)
{
    /// <summary>The draft of a policy evaluator's decision, with <paramref name="checks"/> replacing its own when given.</summary>
    /// <param name="decision">The evaluator's decision.</param>
    /// <param name="subject">What it was about.</param>
    /// <param name="checks">The checks to record instead of the decision's.</param>
    /// <typeparam name="TPayload">The decision's payload type.</typeparam>
    public static DecisionDraft From<TPayload>(PolicyDecision<TPayload> decision, string subject, IReadOnlyList<PolicyCheck>? checks = null)
        where TPayload : class
    {
        ArgumentNullException.ThrowIfNull(decision);
        return new DecisionDraft(
            decision.DecidedAt, decision.Kind.ToName(), subject, decision.PolicyId, decision.PolicyVersion, decision.PolicyHash,
            decision.IsAllowed, decision.Reason, checks ?? decision.Checks);
    }
}
