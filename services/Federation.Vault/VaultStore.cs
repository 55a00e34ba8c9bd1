using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using static Federation.Vault.Sqlite.SqliteCommands;

namespace Federation.Vault;

/// <summary>
/// The on-site vault: raw data stored by content under <c>STATE/vault/objects/ab/cdef…</c> (the file's SHA-256 in
/// lowercase hex, split after two digits), indexed in <c>STATE/vault/vault.db</c> (SQLite), with malformed files in
/// <c>STATE/vault/quarantine/</c> and the drop folders in <c>STATE/vault/drop/KIND/</c>.
/// </summary>
/// <remarks>
/// The index is its own database rather than tables in <c>gateway.db</c>: gateway.db is the release record (decisions,
/// outbox, privacy ledger), written in short transactions on the release path and kept forever, while the vault takes
/// bulk imports and retention deletes; keeping them apart means an import never holds the release path's write lock,
/// and the vault (index and objects together, one folder) can be backed up, moved or wiped without touching the
/// release record. No transaction spans both.
/// An object is written to <c>vault/tmp/</c>, flushed to disk, then renamed into place, and only then indexed; so
/// after a crash there is at worst an unindexed object file (re-importing the same bytes indexes it), never an index
/// row without its whole file.
/// </remarks>
public sealed class VaultStore
{
    /// <summary>The index's file name inside <c>STATE/vault/</c>.</summary>
    public const string IndexFileName = "vault.db";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS objects (
            sha256         TEXT PRIMARY KEY,
            kind           TEXT NOT NULL,
            format         TEXT NOT NULL,
            bytes          INTEGER NOT NULL,
            records        INTEGER NOT NULL,
            label          TEXT,
            sample_rate_hz REAL,
            original_name  TEXT NOT NULL,
            imported_at    TEXT NOT NULL,
            conditions     TEXT);
        CREATE INDEX IF NOT EXISTS objects_by_age ON objects (imported_at);
        CREATE TABLE IF NOT EXISTS deletions (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            sha256      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            bytes       INTEGER NOT NULL,
            original_name TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            deleted_at  TEXT NOT NULL,
            rule        TEXT NOT NULL CHECK (rule IN ('age', 'size')),
            reason      TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS quarantined (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            at             TEXT NOT NULL,
            kind           TEXT NOT NULL,
            source         TEXT NOT NULL,
            stored_as      TEXT NOT NULL,
            line           INTEGER,
            problem        TEXT NOT NULL);
        """;

    private readonly string connectionString;
    private readonly TimeProvider clock;

    private VaultStore(string stateDirectory, VaultOptions options, TimeProvider clock)
    {
        Root = Path.Combine(stateDirectory, "vault");
        Options = options;
        this.clock = clock;
        connectionString = new SqliteConnectionStringBuilder { DataSource = IndexPath, Pooling = false, DefaultTimeout = 30 }.ToString();
    }

    /// <summary>The vault folder, <c>STATE/vault</c>.</summary>
    public string Root { get; }

    /// <summary>The index database.</summary>
    public string IndexPath => Path.Combine(Root, IndexFileName);

    /// <summary>Where objects are stored, by SHA-256.</summary>
    public string ObjectsDirectory => Path.Combine(Root, "objects");

    /// <summary>Where malformed files go, each with a <c>.reason.txt</c>.</summary>
    public string QuarantineDirectory => Path.Combine(Root, "quarantine");

    /// <summary>The vault's limits.</summary>
    public VaultOptions Options { get; }

    private string TempDirectory => Path.Combine(Root, "tmp");

    /// <summary>Opens the vault under <paramref name="stateDirectory"/>, creating its folders and index when missing.</summary>
    /// <param name="stateDirectory">The gateway's <c>Gateway:StateDirectory</c>.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="clock">The clock for import and deletion times; the system clock when null.</param>
    /// <returns>The vault.</returns>
    public static VaultStore Open(string stateDirectory, VaultOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        options ??= new VaultOptions();
        options.Validate();
        var store = new VaultStore(Path.GetFullPath(stateDirectory), options, clock ?? TimeProvider.System);
        foreach (var directory in new[] { store.ObjectsDirectory, store.QuarantineDirectory, store.TempDirectory })
        {
            Directory.CreateDirectory(directory);
        }

        foreach (var kind in VaultKinds.All)
        {
            Directory.CreateDirectory(store.DropDirectory(kind));
        }

        using var connection = store.Connect();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, Schema);
        AddConditionsColumn(connection);
        return store;
    }

    // Vaults made before entries carried conditions lack the column; SQLite adds it in place, old rows holding none.
    private static void AddConditionsColumn(SqliteConnection connection)
    {
        using var command = Command(connection, null, "SELECT COUNT(*) FROM pragma_table_info('objects') WHERE name = 'conditions'");
        if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            Execute(connection, null, "ALTER TABLE objects ADD COLUMN conditions TEXT");
        }
    }

    /// <summary>Opens an existing vault for fedctl; never creates one.</summary>
    /// <param name="stateDirectory">The gateway's state directory.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <returns>The vault.</returns>
    /// <exception cref="FileNotFoundException">There is no vault index under it.</exception>
    public static VaultStore OpenExisting(string stateDirectory, VaultOptions? options = null)
    {
        var path = Path.Combine(Path.GetFullPath(stateDirectory), "vault", IndexFileName);
        return File.Exists(path)
            ? Open(stateDirectory, options)
            : throw new FileNotFoundException($"No vault at {path}; point --state at the gateway's Gateway:StateDirectory.", path);
    }

    /// <summary>The drop folder for <paramref name="kind"/>: <c>STATE/vault/drop/KIND</c>.</summary>
    /// <param name="kind">The kind.</param>
    public string DropDirectory(VaultKind kind) => Path.Combine(Root, "drop", kind.ToName());

    /// <summary>Where the object with <paramref name="sha256"/> is (or would be) stored.</summary>
    /// <param name="sha256">Lowercase hex SHA-256.</param>
    public string ObjectPath(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return Path.Combine(ObjectsDirectory, sha256[..2], sha256[2..]);
    }

    /// <summary>Stores a validated file unless the same bytes are already stored.</summary>
    /// <param name="kind">Its kind.</param>
    /// <param name="originalName">Its file name where it came from.</param>
    /// <param name="content">Its bytes, already validated.</param>
    /// <param name="described">What validation found in it.</param>
    /// <returns>The entry, and whether it was new.</returns>
    public (VaultEntry Entry, bool Stored) Store(VaultKind kind, string originalName, byte[] content, VaultContent described) =>
        StoreAll(kind, [new VaultFile(originalName, content, described)])[0];

    /// <summary>
    /// Stores validated files of one kind, each unless the same bytes are already stored: every new file is written and
    /// flushed to disk first — several at once, so the file system commits their flushes together instead of one by
    /// one — and then all are indexed in one transaction, so the index never names an object that is not on disk.
    /// </summary>
    /// <param name="kind">Their kind.</param>
    /// <param name="files">The files, already validated.</param>
    /// <returns>Each file's entry, and whether it was new, in the order given (a repeat of bytes earlier in the list is not new).</returns>
    public IReadOnlyList<(VaultEntry Entry, bool Stored)> StoreAll(VaultKind kind, IReadOnlyList<VaultFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var hashes = files.Select(file => Convert.ToHexStringLower(SHA256.HashData(file.Content))).ToList();
        using var connection = Connect();
        var known = new Dictionary<string, VaultEntry>(StringComparer.Ordinal);
        foreach (var sha256 in hashes.Distinct(StringComparer.Ordinal))
        {
            if (Entries(connection, "WHERE sha256 = $sha", ("$sha", sha256)).SingleOrDefault() is { } existing)
            {
                known.Add(sha256, existing);
            }
        }

        var fresh = hashes.Select((sha256, index) => (sha256, index)).Where(pair => !known.ContainsKey(pair.sha256))
            .DistinctBy(pair => pair.sha256).ToList();
        Parallel.ForEach(fresh, new ParallelOptions { MaxDegreeOfParallelism = 16 }, pair => WriteObject(pair.sha256, files[pair.index].Content));

        var now = Now();
        var stored = new Dictionary<string, VaultEntry>(StringComparer.Ordinal);
        using (var transaction = connection.BeginTransaction())
        {
            foreach (var (sha256, index) in fresh)
            {
                var (name, content, described) = files[index];
                var entry = new VaultEntry(sha256, kind, described.Format, content.LongLength, described.Records, described.Label, described.SampleRateHz, name, now)
                {
                    Conditions = described.Conditions,
                };
                // Another importer may have indexed the same bytes meanwhile; then its entry stands.
                var inserted = Execute(connection, transaction, """
                    INSERT OR IGNORE INTO objects (sha256, kind, format, bytes, records, label, sample_rate_hz, original_name, imported_at, conditions)
                    VALUES ($sha, $kind, $format, $bytes, $records, $label, $rate, $name, $at, $conditions)
                    """,
                    ("$sha", sha256), ("$kind", kind.ToName()), ("$format", entry.Format), ("$bytes", entry.Bytes), ("$records", entry.Records),
                    ("$label", (object?)entry.Label ?? DBNull.Value), ("$rate", (object?)entry.SampleRateHz ?? DBNull.Value), ("$name", name), ("$at", Text(entry.ImportedAt)),
                    ("$conditions", (object?)VaultConditions.ToIndexText(entry.Conditions) ?? DBNull.Value));
                if (inserted == 1)
                {
                    stored.Add(sha256, entry);
                }
                else
                {
                    known.Add(sha256, Entries(connection, "WHERE sha256 = $sha", transaction, ("$sha", sha256)).Single());
                }
            }

            transaction.Commit();
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. hashes.Select(sha256 => known.TryGetValue(sha256, out var existing) ? (existing, false) : (stored[sha256], seen.Add(sha256)))];
    }

    private void WriteObject(string sha256, byte[] content)
    {
        var path = ObjectPath(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(TempDirectory, $"{sha256}.{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // Same bytes by construction, so replacing an unindexed leftover of an earlier crash is harmless.
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Puts a malformed file in quarantine under a new name, with <c>NAME.reason.txt</c> beside it naming the file,
    /// the line and the problem, and records it in the index.
    /// </summary>
    /// <param name="kind">The kind it was imported as.</param>
    /// <param name="source">The file.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="move">Move it (from the drop folder) rather than copy it (from a path given to fedctl, which stays the operator's).</param>
    /// <returns>The quarantined copy's path.</returns>
    public string Quarantine(VaultKind kind, string source, VaultProblem problem, bool move)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(problem);
        var now = Now();
        var name = $"{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{kind.ToName()}-{Guid.NewGuid().ToString("N")[..8]}-{Path.GetFileName(source)}";
        var target = Path.Combine(QuarantineDirectory, name);
        var reason = new StringBuilder()
            .Append("file: ").AppendLine(source)
            .Append("kind: ").AppendLine(kind.ToName())
            .Append("line: ").AppendLine(problem.Line?.ToString(CultureInfo.InvariantCulture) ?? "-")
            .Append("problem: ").AppendLine(problem.Message)
            .Append("quarantined at: ").AppendLine(Text(now))
            .ToString();
        WriteAtomically(target + ".reason.txt", Encoding.UTF8.GetBytes(reason));
        if (move)
        {
            File.Move(source, target);
        }
        else
        {
            File.Copy(source, target);
        }

        using var connection = Connect();
        Execute(connection, null, "INSERT INTO quarantined (at, kind, source, stored_as, line, problem) VALUES ($at, $kind, $source, $stored, $line, $problem)",
            ("$at", Text(now)), ("$kind", kind.ToName()), ("$source", source), ("$stored", name),
            ("$line", (object?)problem.Line ?? DBNull.Value), ("$problem", problem.Message));
        return target;
    }

    /// <summary>The entry stored under <paramref name="sha256"/>, or null.</summary>
    /// <param name="sha256">Lowercase hex SHA-256.</param>
    public VaultEntry? Find(string sha256)
    {
        using var connection = Connect();
        return Entries(connection, "WHERE sha256 = $sha", ("$sha", sha256)).SingleOrDefault();
    }

    /// <summary>Every stored entry, oldest first, of one kind or all.</summary>
    /// <param name="kind">Only this kind; every kind when null.</param>
    public IReadOnlyList<VaultEntry> Entries(VaultKind? kind = null)
    {
        using var connection = Connect();
        return kind is { } only ? Entries(connection, "WHERE kind = $kind", ("$kind", only.ToName())) : Entries(connection, "");
    }

    /// <summary>Every quarantined file, oldest first.</summary>
    public IReadOnlyList<QuarantinedFile> Quarantined()
    {
        using var connection = Connect();
        using var command = Command(connection, null, "SELECT at, kind, source, stored_as, line, problem FROM quarantined ORDER BY id");
        using var reader = command.ExecuteReader();
        var files = new List<QuarantinedFile>();
        while (reader.Read())
        {
            VaultKinds.TryParse(reader.GetString(1), out var kind);
            files.Add(new QuarantinedFile(Time(reader.GetString(0)), kind, reader.GetString(2), Path.Combine(QuarantineDirectory, reader.GetString(3)),
                new VaultProblem(reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5))));
        }

        return files;
    }

    /// <summary>Every object deleted by retention, oldest deletion first.</summary>
    public IReadOnlyList<VaultDeletion> Deletions()
    {
        using var connection = Connect();
        using var command = Command(connection, null, "SELECT sha256, kind, bytes, original_name, imported_at, deleted_at, rule, reason FROM deletions ORDER BY id");
        using var reader = command.ExecuteReader();
        var deletions = new List<VaultDeletion>();
        while (reader.Read())
        {
            VaultKinds.TryParse(reader.GetString(1), out var kind);
            deletions.Add(new VaultDeletion(reader.GetString(0), kind, reader.GetInt64(2), reader.GetString(3), Time(reader.GetString(4)), Time(reader.GetString(5)), reader.GetString(6), reader.GetString(7)));
        }

        return deletions;
    }

    /// <summary>Per kind: how many objects, their bytes, the oldest and newest import, and how many files were quarantined.</summary>
    public IReadOnlyList<VaultKindStats> Stats()
    {
        using var connection = Connect();
        var stats = VaultKinds.All.ToDictionary(kind => kind, kind => new VaultKindStats(kind, 0, 0, null, null, 0));
        using (var command = Command(connection, null, "SELECT kind, COUNT(*), SUM(bytes), MIN(imported_at), MAX(imported_at) FROM objects GROUP BY kind"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (VaultKinds.TryParse(reader.GetString(0), out var kind))
                {
                    stats[kind] = stats[kind] with { Count = reader.GetInt64(1), Bytes = reader.GetInt64(2), Oldest = Time(reader.GetString(3)), Newest = Time(reader.GetString(4)) };
                }
            }
        }

        using (var command = Command(connection, null, "SELECT kind, COUNT(*) FROM quarantined GROUP BY kind"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (VaultKinds.TryParse(reader.GetString(0), out var kind))
                {
                    stats[kind] = stats[kind] with { Quarantined = reader.GetInt64(1) };
                }
            }
        }

        return VaultKinds.All.Select(kind => stats[kind]).ToList();
    }

    /// <summary>
    /// Applies <see cref="VaultOptions.MaxAgeDays"/>, then <see cref="VaultOptions.MaxBytes"/>, deleting the oldest
    /// imports first and recording each deletion with its rule and reason.
    /// </summary>
    /// <returns>What was deleted now.</returns>
    public IReadOnlyList<VaultDeletion> ApplyRetention()
    {
        var now = Now();
        var deleted = new List<VaultDeletion>();
        using var connection = Connect();
        using (var transaction = connection.BeginTransaction())
        {
            var oldestFirst = Entries(connection, "", transaction);
            var total = oldestFirst.Sum(entry => entry.Bytes);
            foreach (var entry in oldestFirst)
            {
                string rule, reason;
                if (Options.MaxAgeDays > 0 && entry.ImportedAt < now.AddDays(-Options.MaxAgeDays))
                {
                    (rule, reason) = ("age", $"imported {Text(entry.ImportedAt)}, more than Gateway:Vault:MaxAgeDays = {Options.MaxAgeDays} days before {Text(now)}");
                }
                else if (Options.MaxBytes > 0 && total > Options.MaxBytes)
                {
                    (rule, reason) = ("size", $"the vault held {total} bytes, over Gateway:Vault:MaxBytes = {Options.MaxBytes}; this was the oldest import");
                }
                else
                {
                    continue;
                }

                Execute(connection, transaction, "DELETE FROM objects WHERE sha256 = $sha", ("$sha", entry.Sha256));
                Execute(connection, transaction, """
                    INSERT INTO deletions (sha256, kind, bytes, original_name, imported_at, deleted_at, rule, reason)
                    VALUES ($sha, $kind, $bytes, $name, $imported, $at, $rule, $reason)
                    """,
                    ("$sha", entry.Sha256), ("$kind", entry.Kind.ToName()), ("$bytes", entry.Bytes), ("$name", entry.OriginalName),
                    ("$imported", Text(entry.ImportedAt)), ("$at", Text(now)), ("$rule", rule), ("$reason", reason));
                total -= entry.Bytes;
                deleted.Add(new VaultDeletion(entry.Sha256, entry.Kind, entry.Bytes, entry.OriginalName, entry.ImportedAt, now, rule, reason));
            }

            transaction.Commit();
        }

        // Files go after the index commits: a crash in between leaves unindexed files, never index rows without files.
        foreach (var deletion in deleted)
        {
            File.Delete(ObjectPath(deletion.Sha256));
        }

        return deleted;
    }

    private List<VaultEntry> Entries(SqliteConnection connection, string where, params (string Name, object Value)[] parameters) =>
        Entries(connection, where, null, parameters);

    private static List<VaultEntry> Entries(SqliteConnection connection, string where, SqliteTransaction? transaction, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction,
            $"SELECT sha256, kind, format, bytes, records, label, sample_rate_hz, original_name, imported_at, conditions FROM objects {where} ORDER BY imported_at, sha256", parameters);
        using var reader = command.ExecuteReader();
        var entries = new List<VaultEntry>();
        while (reader.Read())
        {
            VaultKinds.TryParse(reader.GetString(1), out var kind);
            entries.Add(new VaultEntry(
                reader.GetString(0), kind, reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.GetString(7), Time(reader.GetString(8)))
            {
                Conditions = VaultConditions.FromIndexText(reader.IsDBNull(9) ? null : reader.GetString(9)),
            });
        }

        return entries;
    }

    private void WriteAtomically(string path, byte[] content)
    {
        var temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N"));
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path);
    }

    private DateTimeOffset Now() => clock.GetUtcNow().ToUniversalTime();

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    // UTC with seven fractional digits, so text order in the index is time order.
    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>One stored object as the index records it.</summary>
/// <param name="Sha256">Lowercase hex SHA-256 of its bytes, and its name under <c>objects/</c>.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Format"><c>text</c>, <c>jsonl</c>, <c>csv</c>, <c>png</c> or <c>jpeg</c>.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Records">Log lines, override records, force samples, or 1 for a photo.</param>
/// <param name="Label">A photo's label.</param>
/// <param name="SampleRateHz">A force file's sample rate.</param>
/// <param name="OriginalName">Its file name when imported.</param>
/// <param name="ImportedAt">When it was imported (UTC); retention counts age from here.</param>
public sealed record VaultEntry(string Sha256, VaultKind Kind, string Format, long Bytes, long Records, string? Label, double? SampleRateHz, string OriginalName, DateTimeOffset ImportedAt)
{
    /// <summary>The conditions it was recorded under (<see cref="VaultConditions"/>), <c>key=value</c> sorted by key; empty when none.</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];
}

/// <summary>A file put in quarantine.</summary>
/// <param name="At">When.</param>
/// <param name="Kind">The kind it was imported as.</param>
/// <param name="Source">Where it came from.</param>
/// <param name="StoredAs">Its path in the quarantine folder; the reason is in <c>StoredAs.reason.txt</c>.</param>
/// <param name="Problem">What is wrong with it.</param>
public sealed record QuarantinedFile(DateTimeOffset At, VaultKind Kind, string Source, string StoredAs, VaultProblem Problem);

/// <summary>An object deleted by retention.</summary>
/// <param name="Sha256">Its SHA-256.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="OriginalName">Its file name when imported.</param>
/// <param name="ImportedAt">When it was imported.</param>
/// <param name="DeletedAt">When it was deleted.</param>
/// <param name="Rule"><c>age</c> or <c>size</c>.</param>
/// <param name="Reason">The limit and the numbers that triggered it.</param>
public sealed record VaultDeletion(string Sha256, VaultKind Kind, long Bytes, string OriginalName, DateTimeOffset ImportedAt, DateTimeOffset DeletedAt, string Rule, string Reason);

/// <summary>One kind's totals.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Count">Objects stored.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="Oldest">The oldest import, or null.</param>
/// <param name="Newest">The newest import, or null.</param>
/// <param name="Quarantined">Files quarantined as this kind, ever.</param>
public sealed record VaultKindStats(VaultKind Kind, long Count, long Bytes, DateTimeOffset? Oldest, DateTimeOffset? Newest, long Quarantined);
