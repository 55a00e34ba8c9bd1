using System.Security.Cryptography;
using System.Text;
using Federation.Vault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Federation.Gateway.Tests;

/// <summary>A vault in a temporary state folder, a clock the test moves, and a folder of incoming files.</summary>
internal sealed class VaultSite : IDisposable
{
    public VaultSite(VaultOptions? options = null)
    {
        Directory.CreateDirectory(Incoming);
        Store = VaultStore.Open(StateDirectory, options, Clock);
        Importer = new VaultImporter(Store);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"federation-vault-tests-{Guid.NewGuid():N}");

    public string StateDirectory => Path.Combine(Folder, "state");

    public string Incoming => Path.Combine(Folder, "incoming");

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    public VaultStore Store { get; }

    public VaultImporter Importer { get; }

    public string Write(string relativePath, byte[] content)
    {
        var path = Path.Combine(Incoming, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Write(string relativePath, string content) => Write(relativePath, Encoding.UTF8.GetBytes(content));

    public VaultImportResult Import(VaultKind kind, string path, string? label = null) => Importer.ImportAll(kind, [path], label).Single();

    /// <summary>Every object file under objects/ with its bytes, and every index row: what "the vault is unchanged" compares.</summary>
    public string Snapshot()
    {
        var text = new StringBuilder();
        foreach (var entry in Store.Entries())
        {
            text.AppendLine(entry.ToString());
        }

        foreach (var file in Directory.EnumerateFiles(Store.ObjectsDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            text.Append(Path.GetRelativePath(Store.ObjectsDirectory, file)).Append(' ').AppendLine(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
        }

        return text.ToString();
    }

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}

/// <summary>Sample files of each kind, valid and malformed, in the formats README "For factory IT: where raw data goes" defines.</summary>
internal static class VaultSamples
{
    public const string TextLog = "2026-03-01 08:00:01 press-4 cycle start\n2026-03-01 08:00:03 press-4 cycle end 2.1s\n";

    public const string JsonLog = """
        {"t":"2026-03-01T08:00:01Z","machine":"press-4","event":"cycle-start"}
        {"t":"2026-03-01T08:00:03Z","machine":"press-4","event":"cycle-end","seconds":2.1}

        """;

    public const string OverridesJson = """
        {"who":"j.meier","when":"2026-03-01T09:15:00+01:00","machine":"press-4","what":"force limit 12 kN -> 13 kN","why":"new die, supplier spec"}
        {"who":"a.okafor","when":"2026-03-01T10:02:30Z","machine":"press-4","what":"reject bin override","why":"sensor fault, parts checked by hand"}

        """;

    public const string OverridesCsv = "who,when,machine,what,why\nj.meier,2026-03-01T09:15:00+01:00,press-4,\"force limit 12 kN -> 13 kN\",\"new die, supplier spec\"\n";

    public const string Force = "# sample_rate_hz=1000\nt_s,force_n,torque_nm\n0.000,0.0,0.00\n0.001,12.5,0.10\n0.002,25.1,0.21\n0.003,37.0,0.30\n";

    /// <summary>A real RGB PNG of the given size (a zero size gives a well-formed file with that header).</summary>
    public static byte[] Png(int width = 2, int height = 2) =>
        TestPng.Encode(width, height, 2, [.. Enumerable.Range(0, width * height * 3).Select(index => (byte)(index * 37))]);

    /// <summary>A real 16 × 16 colour JPEG.</summary>
    public static byte[] Jpeg() =>
        TestJpeg.Rgb(16, 16, [.. Enumerable.Range(0, 16 * 16 * 3).Select(index => (byte)(index * 7))]);

    /// <summary>A PNG that is well-formed but whose IHDR claims <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = TestPng.Encode(1, 1, 0, [0]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        // The IHDR CRC covers the size, so it is recomputed: only the claim is wrong, not the file's structure.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17)));
        return png;
    }
}

/// <summary>The vault stores the four kinds of raw data whole or not at all, once, and within its limits.</summary>
public sealed class VaultTests : IDisposable
{
    private readonly VaultSite site = new();

    public void Dispose() => site.Dispose();

    public static TheoryData<VaultKind, string, byte[], string, long, string?> ValidFiles() => new()
    {
        { VaultKind.Logs, "press-4.log", Encoding.UTF8.GetBytes(VaultSamples.TextLog), "text", 2, null },
        { VaultKind.Logs, "press-4.jsonl", Encoding.UTF8.GetBytes(VaultSamples.JsonLog), "jsonl", 2, null },
        { VaultKind.Overrides, "overrides.jsonl", Encoding.UTF8.GetBytes(VaultSamples.OverridesJson), "jsonl", 2, null },
        { VaultKind.Overrides, "overrides.csv", Encoding.UTF8.GetBytes(VaultSamples.OverridesCsv), "csv", 1, null },
        { VaultKind.Photos, Path.Combine("scratch", "weld-17.png"), VaultSamples.Png(), "png", 1, "scratch" },
        { VaultKind.Photos, Path.Combine("good", "weld-18.jpg"), VaultSamples.Jpeg(), "jpeg", 1, "good" },
        { VaultKind.Force, "pressfit-0001.csv", Encoding.UTF8.GetBytes(VaultSamples.Force), "csv", 4, null },
    };

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void Each_kind_is_validated_stored_by_its_sha256_and_indexed(VaultKind kind, string name, byte[] content, string format, long records, string? label)
    {
        // Given a valid file of the kind
        var path = site.Write(name, content);

        // When it is imported
        var result = site.Import(kind, path);

        // Then its bytes are stored under objects/ab/cdef… and the index describes them
        result.Outcome.ShouldBe(VaultImportOutcome.Stored, result.Problem?.ToString());
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var entry = site.Store.Entries(kind).ShouldHaveSingleItem();
        entry.Sha256.ShouldBe(sha256);
        entry.Format.ShouldBe(format);
        entry.Records.ShouldBe(records);
        entry.Label.ShouldBe(label);
        entry.Bytes.ShouldBe(content.Length);
        entry.ImportedAt.ShouldBe(site.Clock.GetUtcNow());
        File.ReadAllBytes(Path.Combine(site.Store.ObjectsDirectory, sha256[..2], sha256[2..])).ShouldBe(content);
        File.Exists(path).ShouldBeTrue("an import from the command line leaves the operator's file where it was");
        Directory.EnumerateFileSystemEntries(Path.Combine(site.Store.Root, "tmp")).ShouldBeEmpty();
    }

    [Fact]
    public void A_force_file_records_its_sample_rate()
    {
        site.Import(VaultKind.Force, site.Write("f.csv", VaultSamples.Force));

        site.Store.Entries(VaultKind.Force).ShouldHaveSingleItem().SampleRateHz.ShouldBe(1000);
    }

    public static TheoryData<VaultKind, string, byte[], int?, string> MalformedFiles() => new()
    {
        { VaultKind.Logs, "empty.log", [], null, "the file is empty" },
        { VaultKind.Logs, "latin1.log", [.. "ok line\nmachine "u8.ToArray(), 0xE9, 0x0A], 2, "not valid UTF-8" },
        { VaultKind.Logs, "binary.log", [.. "ok\n"u8.ToArray(), 0x41, 0x00, 0x42], 2, "NUL" },
        { VaultKind.Logs, "broken.jsonl", Encoding.UTF8.GetBytes("{\"a\":1}\n{\"a\":2}\n{\"a\":\n"), 3, "not JSON" },
        { VaultKind.Logs, "array.jsonl", Encoding.UTF8.GetBytes("{\"a\":1}\n[1,2]\n"), 2, "must be an object" },
        { VaultKind.Logs, "gap.jsonl", Encoding.UTF8.GetBytes("{\"a\":1}\n\n{\"a\":2}\n"), 2, "empty line in JSON lines" },
        { VaultKind.Overrides, "no-why.jsonl", Encoding.UTF8.GetBytes("""{"who":"a","when":"2026-03-01T09:15:00Z","machine":"m","what":"w"}""" + "\n"), 1, "field \"why\" is missing" },
        { VaultKind.Overrides, "no-offset.jsonl", Encoding.UTF8.GetBytes(VaultSamples.OverridesJson + """{"who":"a","when":"2026-03-01T09:15:00","machine":"m","what":"w","why":"y"}""" + "\n"), 3, "not an ISO 8601 time with an offset" },
        { VaultKind.Overrides, "bad-date.jsonl", Encoding.UTF8.GetBytes("""{"who":"a","when":"2026-02-30T09:15:00Z","machine":"m","what":"w","why":"y"}""" + "\n"), 1, "not an ISO 8601 time" },
        { VaultKind.Overrides, "number.jsonl", Encoding.UTF8.GetBytes("""{"who":7,"when":"2026-03-01T09:15:00Z","machine":"m","what":"w","why":"y"}""" + "\n"), 1, "field \"who\" is not a string" },
        { VaultKind.Overrides, "blank.csv", Encoding.UTF8.GetBytes("who,when,machine,what,why\na,2026-03-01T09:15:00Z,m,w,y\na,2026-03-01T09:15:00Z,, w ,y\n"), 3, "field \"machine\" is empty" },
        { VaultKind.Overrides, "header.csv", Encoding.UTF8.GetBytes("who,when,machine,what\na,2026-03-01T09:15:00Z,m,w\n"), 1, "lacks column \"why\"" },
        { VaultKind.Overrides, "ragged.csv", Encoding.UTF8.GetBytes("who,when,machine,what,why\na,2026-03-01T09:15:00Z,m,w,y,extra\n"), 2, "6 fields where the header has 5" },
        { VaultKind.Overrides, "quote.csv", Encoding.UTF8.GetBytes("who,when,machine,what,why\na,2026-03-01T09:15:00Z,m,\"w,y\n"), 2, "quoted field is not closed" },
        { VaultKind.Overrides, "overrides.txt", Encoding.UTF8.GetBytes(VaultSamples.OverridesCsv), null, "JSON lines (.jsonl, .ndjson) or CSV (.csv)" },
        { VaultKind.Photos, Path.Combine("scratch", "notes.png"), Encoding.UTF8.GetBytes("not an image"), null, "not a PNG or JPEG" },
        { VaultKind.Photos, Path.Combine("scratch", "cut.png"), VaultSamples.Png()[..^12], null, "IEND" },
        { VaultKind.Photos, Path.Combine("scratch", "empty.png"), VaultSamples.Png(width: 0), null, "0x2 pixels" },
        { VaultKind.Photos, Path.Combine("scratch", "cut.jpg"), VaultSamples.Jpeg()[..^2], null, "end-of-image marker" },
        { VaultKind.Photos, Path.Combine("bad label!", "weld.png"), VaultSamples.Png(), null, "label \"bad label!\"" },
        { VaultKind.Force, "no-rate.csv", Encoding.UTF8.GetBytes(VaultSamples.Force[(VaultSamples.Force.IndexOf('\n', StringComparison.Ordinal) + 1)..]), 1, "sample_rate_hz" },
        { VaultKind.Force, "zero-rate.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("=1000", "=0", StringComparison.Ordinal)), 1, "positive number" },
        { VaultKind.Force, "no-time.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("t_s,", "time,", StringComparison.Ordinal)), 2, "must start with \"t_s\"" },
        { VaultKind.Force, "nan.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("25.1", "NaN", StringComparison.Ordinal)), 5, "column \"force_n\" is \"NaN\", not a finite number" },
        { VaultKind.Force, "text.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("0.21", "high", StringComparison.Ordinal)), 5, "column \"torque_nm\" is \"high\"" },
        { VaultKind.Force, "backwards.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("0.002,", "0.000,", StringComparison.Ordinal)), 5, "does not increase" },
        { VaultKind.Force, "repeat.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("0.002,", "0.001,", StringComparison.Ordinal)), 5, "time 0.001 s does not increase" },
        { VaultKind.Force, "gap.csv", Encoding.UTF8.GetBytes(VaultSamples.Force.Replace("0.003,", "0.005,", StringComparison.Ordinal)), 6, "time step" },
        { VaultKind.Force, "short-row.csv", Encoding.UTF8.GetBytes(VaultSamples.Force + "0.004,1.0\n"), 7, "2 fields where the header has 3" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void A_malformed_file_is_quarantined_with_its_line_and_problem_and_the_vault_is_unchanged(VaultKind kind, string name, byte[] content, int? line, string problem)
    {
        // Given a vault that already holds one file of every kind
        site.Import(VaultKind.Logs, site.Write("kept.log", VaultSamples.TextLog)).Outcome.ShouldBe(VaultImportOutcome.Stored);
        site.Import(VaultKind.Overrides, site.Write("kept.jsonl", VaultSamples.OverridesJson)).Outcome.ShouldBe(VaultImportOutcome.Stored);
        site.Import(VaultKind.Photos, site.Write(Path.Combine("ok", "kept.png"), VaultSamples.Png(3, 3))).Outcome.ShouldBe(VaultImportOutcome.Stored);
        site.Import(VaultKind.Force, site.Write("kept.csv", VaultSamples.Force)).Outcome.ShouldBe(VaultImportOutcome.Stored);
        var before = site.Snapshot();

        // When a malformed file is imported
        var path = site.Write(name, content);
        var result = site.Import(kind, path);

        // Then it is quarantined with the line and a specific problem, and nothing in the vault changed
        result.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        result.Problem.ShouldNotBeNull();
        result.Problem.Line.ShouldBe(line);
        result.Problem.Message.ShouldContain(problem);
        site.Snapshot().ShouldBe(before);
        File.ReadAllBytes(result.QuarantinedAs!).ShouldBe(content);
        var reason = File.ReadAllText(result.QuarantinedAs + ".reason.txt");
        reason.ShouldContain($"file: {path}");
        reason.ShouldContain($"line: {(line is { } number ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}");
        reason.ShouldContain(problem);
        var recorded = site.Store.Quarantined().ShouldHaveSingleItem();
        recorded.Source.ShouldBe(path);
        recorded.Problem.ShouldBe(result.Problem);
        site.Store.Stats().Single(stats => stats.Kind == kind).Quarantined.ShouldBe(1);
    }

    [Fact]
    public void A_file_over_the_size_cap_is_quarantined_unread()
    {
        using var small = new VaultSite(new VaultOptions { MaxFileBytes = 16 });

        var result = small.Import(VaultKind.Logs, small.Write("big.log", VaultSamples.TextLog));

        result.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        result.Problem!.Message.ShouldContain("over Gateway:Vault:MaxFileBytes = 16");
        small.Store.Entries().ShouldBeEmpty();
    }

    [Fact]
    public void The_same_bytes_imported_twice_under_two_names_are_stored_once()
    {
        var first = site.Import(VaultKind.Force, site.Write("a.csv", VaultSamples.Force));
        site.Clock.Advance(TimeSpan.FromHours(1));
        var second = site.Import(VaultKind.Force, site.Write("b.csv", VaultSamples.Force));

        first.Outcome.ShouldBe(VaultImportOutcome.Stored);
        second.Outcome.ShouldBe(VaultImportOutcome.AlreadyStored);
        second.Entry.ShouldBe(first.Entry);
        site.Store.Entries().ShouldHaveSingleItem().OriginalName.ShouldBe("a.csv");
        Directory.EnumerateFiles(site.Store.ObjectsDirectory, "*", SearchOption.AllDirectories).ShouldHaveSingleItem();
    }

    [Fact]
    public void A_batch_with_one_bad_file_stores_the_good_ones_whole_and_quarantines_only_the_bad_one()
    {
        var good = site.Write(Path.Combine("batch", "1.csv"), VaultSamples.Force);
        var bad = site.Write(Path.Combine("batch", "2.csv"), VaultSamples.Force.Replace("37.0", "inf", StringComparison.Ordinal));
        var alsoGood = site.Write(Path.Combine("batch", "3.csv"), VaultSamples.Force.Replace("37.0", "38.0", StringComparison.Ordinal));

        var results = site.Importer.ImportAll(VaultKind.Force, [Path.Combine(site.Incoming, "batch")]);

        results.Select(result => (result.Source, result.Outcome)).ShouldBe([
            (good, VaultImportOutcome.Stored), (bad, VaultImportOutcome.Quarantined), (alsoGood, VaultImportOutcome.Stored)]);
        site.Store.Entries().Select(entry => entry.OriginalName).Order(StringComparer.Ordinal).ShouldBe(["1.csv", "3.csv"]);
    }

    [Fact]
    public void A_photo_takes_its_label_from_a_sidecar_before_its_folder_and_from_the_command_line_before_both()
    {
        var withSidecar = site.Write(Path.Combine("folder-label", "a.png"), VaultSamples.Png(1, 1));
        File.WriteAllText(withSidecar + ".label", "porosity\n");
        var commandLine = site.Write(Path.Combine("folder-label", "b.png"), VaultSamples.Png(1, 2));

        site.Import(VaultKind.Photos, withSidecar).Entry!.Label.ShouldBe("porosity");
        site.Import(VaultKind.Photos, commandLine, label: "crack").Entry!.Label.ShouldBe("crack");
    }

    [Fact]
    public void Retention_by_age_deletes_what_was_imported_before_the_limit_and_records_why()
    {
        using var vault = new VaultSite(new VaultOptions { MaxAgeDays = 30 });
        var old = vault.Import(VaultKind.Logs, vault.Write("old.log", "old\n")).Entry!;
        vault.Clock.Advance(TimeSpan.FromDays(10));
        var recent = vault.Import(VaultKind.Logs, vault.Write("recent.log", "recent\n")).Entry!;

        // When the clock passes 30 days after the first import only
        vault.Clock.Advance(TimeSpan.FromDays(20) + TimeSpan.FromSeconds(1));
        var deleted = vault.Store.ApplyRetention();

        deleted.ShouldHaveSingleItem().Sha256.ShouldBe(old.Sha256);
        vault.Store.Entries().ShouldHaveSingleItem().Sha256.ShouldBe(recent.Sha256);
        File.Exists(vault.Store.ObjectPath(old.Sha256)).ShouldBeFalse();
        File.Exists(vault.Store.ObjectPath(recent.Sha256)).ShouldBeTrue();
        var record = vault.Store.Deletions().ShouldHaveSingleItem();
        record.Rule.ShouldBe("age");
        record.OriginalName.ShouldBe("old.log");
        record.Reason.ShouldContain("MaxAgeDays = 30");
        record.DeletedAt.ShouldBe(vault.Clock.GetUtcNow());
    }

    [Fact]
    public void Retention_by_size_deletes_the_oldest_until_the_rest_fit()
    {
        // Three 100-byte logs against a 250-byte limit: the first must go, the other two fit.
        using var vault = new VaultSite(new VaultOptions { MaxAgeDays = 0, MaxBytes = 250 });
        var entries = new List<VaultEntry>();
        foreach (var name in new[] { "1.log", "2.log", "3.log" })
        {
            var content = name + new string('x', 99 - name.Length) + "\n";
            content.Length.ShouldBe(100);
            entries.Add(vault.Importer.Import(VaultKind.Logs, vault.Write(name, content), null, false).Entry!);
            vault.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var deleted = vault.Store.ApplyRetention();

        deleted.Select(deletion => deletion.OriginalName).ShouldBe(["1.log"]);
        deleted.Single().Rule.ShouldBe("size");
        deleted.Single().Reason.ShouldContain("held 300 bytes, over Gateway:Vault:MaxBytes = 250");
        vault.Store.Entries().Select(entry => entry.OriginalName).ShouldBe(["2.log", "3.log"]);
        vault.Store.Stats().Single(stats => stats.Kind == VaultKind.Logs).Bytes.ShouldBe(200);
        vault.Store.ApplyRetention().ShouldBeEmpty();
    }

    [Fact]
    public void Stats_count_bytes_and_times_per_kind()
    {
        site.Import(VaultKind.Logs, site.Write("a.log", "a\n"));
        site.Clock.Advance(TimeSpan.FromDays(1));
        site.Import(VaultKind.Logs, site.Write("b.log", "bb\n"));
        site.Import(VaultKind.Force, site.Write("bad.csv", "nonsense\n"));

        var logs = site.Store.Stats().Single(stats => stats.Kind == VaultKind.Logs);
        logs.Count.ShouldBe(2);
        logs.Bytes.ShouldBe(5);
        logs.Oldest.ShouldBe(site.Clock.GetUtcNow() - TimeSpan.FromDays(1));
        logs.Newest.ShouldBe(site.Clock.GetUtcNow());
        site.Store.Stats().Single(stats => stats.Kind == VaultKind.Force).ShouldBe(new VaultKindStats(VaultKind.Force, 0, 0, null, null, 1));
    }

    [Fact]
    public void The_index_survives_reopening()
    {
        var stored = site.Import(VaultKind.Logs, site.Write("a.log", VaultSamples.TextLog)).Entry!;

        VaultStore.OpenExisting(site.StateDirectory).Entries().ShouldBe([stored]);
        Should.Throw<FileNotFoundException>(() => VaultStore.OpenExisting(Path.Combine(site.Folder, "elsewhere")));
    }
}

/// <summary>The drop folder takes a file once it has settled, through the same importer.</summary>
public sealed class VaultDropFolderTests : IDisposable
{
    private readonly VaultSite site = new();

    public void Dispose() => site.Dispose();

    private string Drop(VaultKind kind, string relativePath, byte[] content)
    {
        var path = Path.Combine(site.Store.DropDirectory(kind), relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void A_settled_file_is_stored_and_removed_from_the_drop_folder()
    {
        var drop = new VaultDropFolder(site.Importer);
        var path = Drop(VaultKind.Force, "pressfit.csv", Encoding.UTF8.GetBytes(VaultSamples.Force));

        // The first scan only notes the size: the file may still be arriving
        drop.Scan().ShouldBeEmpty();
        File.Exists(path).ShouldBeTrue();

        var result = drop.Scan().ShouldHaveSingleItem();
        result.Outcome.ShouldBe(VaultImportOutcome.Stored);
        site.Store.Entries(VaultKind.Force).ShouldHaveSingleItem().OriginalName.ShouldBe("pressfit.csv");
        File.Exists(path).ShouldBeFalse();
        drop.Scan().ShouldBeEmpty();
    }

    [Fact]
    public void A_file_still_growing_is_left_alone()
    {
        var drop = new VaultDropFolder(site.Importer);
        var path = Drop(VaultKind.Logs, "growing.log", "first\n"u8.ToArray());
        drop.Scan().ShouldBeEmpty();

        File.AppendAllText(path, "second\n");
        drop.Scan().ShouldBeEmpty();

        drop.Scan().ShouldHaveSingleItem().Entry!.Records.ShouldBe(2);
    }

    [Fact]
    public void A_malformed_file_is_moved_to_quarantine_with_its_reason()
    {
        var drop = new VaultDropFolder(site.Importer);
        var path = Drop(VaultKind.Overrides, "shift-2.jsonl", Encoding.UTF8.GetBytes("""{"who":"a","when":"yesterday","machine":"m","what":"w","why":"y"}""" + "\n"));

        drop.Scan();
        var result = drop.Scan().ShouldHaveSingleItem();

        result.Outcome.ShouldBe(VaultImportOutcome.Quarantined);
        File.Exists(path).ShouldBeFalse("a malformed file leaves the drop folder, so it is not retried forever");
        Path.GetDirectoryName(result.QuarantinedAs).ShouldBe(site.Store.QuarantineDirectory);
        File.ReadAllText(result.QuarantinedAs + ".reason.txt").ShouldContain("problem: field \"when\" is \"yesterday\"");
        site.Store.Entries().ShouldBeEmpty();
    }

    [Fact]
    public void Photos_are_labelled_by_their_subfolder_and_a_photo_without_a_label_is_quarantined()
    {
        var drop = new VaultDropFolder(site.Importer);
        Drop(VaultKind.Photos, Path.Combine("scratch", "a.png"), VaultSamples.Png());
        var withSidecar = Drop(VaultKind.Photos, "b.png", VaultSamples.Png(4, 4));
        File.WriteAllText(withSidecar + ".label", "dent");
        Drop(VaultKind.Photos, "c.png", VaultSamples.Png(5, 5));
        Drop(VaultKind.Photos, ".partial.png", VaultSamples.Png(6, 6));

        drop.Scan();
        var results = drop.Scan();

        results.Count.ShouldBe(3, "the dot file is a copy in progress");
        site.Store.Entries(VaultKind.Photos).Select(entry => (entry.OriginalName, entry.Label)).Order().ShouldBe([("a.png", "scratch"), ("b.png", "dent")]);
        results.Single(result => result.Outcome == VaultImportOutcome.Quarantined).Problem!.Message.ShouldContain("has no label");
        File.Exists(withSidecar + ".label").ShouldBeFalse();
    }
}

/// <summary>The gateway host runs the drop folder as a hosted service.</summary>
public sealed class VaultHostingTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"federation-vault-host-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_registered_service_imports_a_dropped_file_while_the_host_runs()
    {
        // Given a gateway's services with the vault added, polling fast
        await using var provider = new ServiceCollection()
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddVault(folder, new VaultOptions { PollSeconds = 0.05 })
            .BuildServiceProvider();
        var service = provider.GetServices<IHostedService>().OfType<VaultDropFolderService>().ShouldHaveSingleItem();
        var store = provider.GetRequiredService<VaultStore>();

        // When the service runs and a log file is dropped
        await service.StartAsync(CancellationToken.None);
        File.WriteAllText(Path.Combine(store.DropDirectory(VaultKind.Logs), "line-3.log"), VaultSamples.TextLog);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (store.Entries().Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await service.StopAsync(CancellationToken.None);

        // Then it was imported from the drop folder
        store.Entries().ShouldHaveSingleItem().OriginalName.ShouldBe("line-3.log");
        Directory.EnumerateFiles(store.DropDirectory(VaultKind.Logs)).ShouldBeEmpty();
    }
}
