using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Federation.Vault.Csv;
using Federation.Vault.Photos;

namespace Federation.Vault;

/// <summary>What was wrong with a file, precisely enough to fix it.</summary>
/// <param name="Line">The 1-based line at fault; null when the problem is the file as a whole.</param>
/// <param name="Message">The problem.</param>
public sealed record VaultProblem(int? Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line is { } line ? $"line {line}: {Message}" : Message;
}

/// <summary>What a valid file holds, as the index records it.</summary>
/// <param name="Format"><c>text</c>, <c>jsonl</c>, <c>csv</c>, <c>png</c> or <c>jpeg</c>.</param>
/// <param name="Records">Log lines, override records, force samples, or 1 for a photo.</param>
/// <param name="Label">A photo's label, or a force file's when it has one; null for the other kinds.</param>
/// <param name="SampleRateHz">A force file's sample rate; null for the other kinds.</param>
public sealed record VaultContent(string Format, long Records, string? Label, double? SampleRateHz)
{
    /// <summary>The conditions its sidecar states (<see cref="VaultConditions"/>); empty when it has none.</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];
}

/// <summary>
/// Checks a whole file strictly before anything of it is stored. The formats are defined here and in the README
/// section "For factory IT: where raw data goes"; a file either passes every rule or is quarantined with the first
/// rule it breaks, its line and the problem.
/// </summary>
public static partial class VaultValidator
{
    /// <summary>The fields every operator override record must have, each a non-empty string.</summary>
    public static IReadOnlyList<string> OverrideFields { get; } = ["who", "when", "machine", "what", "why"];

    /// <summary>The force file's first line: <c># sample_rate_hz=N</c>.</summary>
    public const string SampleRatePrefix = "# sample_rate_hz=";

    /// <summary>The force file's time column, in seconds: always the first column of its header.</summary>
    public const string TimeColumn = "t_s";

    /// <summary>How far a force file's time step may stray from 1 / sample rate, as a fraction of it.</summary>
    public const double SampleIntervalTolerance = 0.1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Validates a whole file of <paramref name="kind"/>.</summary>
    /// <param name="kind">What the file is said to be.</param>
    /// <param name="fileName">Its name; the extension chooses between JSON lines and text or CSV.</param>
    /// <param name="content">Every byte of it.</param>
    /// <param name="label">
    /// A photo's label (from <c>--label</c>, a sidecar or its folder), required; a force file's (from <c>--label</c> or a
    /// sidecar), optional; ignored for the other kinds.
    /// </param>
    /// <param name="problem">The first problem found, when there is one.</param>
    /// <returns>What the file holds, or null when it is malformed.</returns>
    public static VaultContent? Validate(VaultKind kind, string fileName, byte[] content, string? label, out VaultProblem? problem)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(content);
        problem = null;
        if (content.Length == 0)
        {
            problem = new VaultProblem(null, "the file is empty");
            return null;
        }

        return kind switch
        {
            VaultKind.Logs => Logs(fileName, content, out problem),
            VaultKind.Overrides => Overrides(fileName, content, out problem),
            VaultKind.Photos => Photo(content, label, out problem),
            VaultKind.Force => Force(content, label, out problem),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>Whether <paramref name="label"/> may label a photo: 1 to 64 letters, digits, '_', '.', '-', starting with a letter or digit.</summary>
    /// <param name="label">The label.</param>
    public static bool IsValidLabel(string? label) => label is not null && LabelPattern().IsMatch(label);

    private static bool IsJsonLines(string fileName) =>
        fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    private static VaultContent? Logs(string fileName, byte[] content, out VaultProblem? problem)
    {
        if (Lines(content, out problem) is not { } lines)
        {
            return null;
        }

        var json = IsJsonLines(fileName);
        for (int index = 0; index < lines.Count; index++)
        {
            if (json && ParseObject(lines[index], index + 1, out problem) is null)
            {
                return null;
            }
        }

        return new VaultContent(json ? "jsonl" : "text", lines.Count, null, null);
    }

    private static VaultContent? Overrides(string fileName, byte[] content, out VaultProblem? problem)
    {
        if (Lines(content, out problem) is not { } lines)
        {
            return null;
        }

        if (IsJsonLines(fileName))
        {
            for (int index = 0; index < lines.Count; index++)
            {
                if (ParseObject(lines[index], index + 1, out problem) is not { } record)
                {
                    return null;
                }

                using (record)
                {
                    foreach (var field in OverrideFields)
                    {
                        var value = record.RootElement.TryGetProperty(field, out var element) ? element : default;
                        if (value.ValueKind != JsonValueKind.String)
                        {
                            problem = new VaultProblem(index + 1, $"field \"{field}\" is {(value.ValueKind == JsonValueKind.Undefined ? "missing" : "not a string")}; every override needs {string.Join(", ", OverrideFields)}");
                            return null;
                        }

                        if (OverrideField(field, value.GetString()!, index + 1, out problem) is false)
                        {
                            return null;
                        }
                    }
                }
            }

            return new VaultContent("jsonl", lines.Count, null, null);
        }

        if (!fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            problem = new VaultProblem(null, "operator overrides must be JSON lines (.jsonl, .ndjson) or CSV (.csv)");
            return null;
        }

        if (ReadCsv(content, 0, out problem) is not { } records)
        {
            return null;
        }

        var header = records[0].Fields;
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int column = 0; column < header.Count; column++)
        {
            if (!positions.TryAdd(header[column].Trim(), column))
            {
                problem = new VaultProblem(records[0].Line, $"column \"{header[column].Trim()}\" appears twice in the header");
                return null;
            }
        }

        if (OverrideFields.FirstOrDefault(field => !positions.ContainsKey(field)) is { } missing)
        {
            problem = new VaultProblem(records[0].Line, $"the header lacks column \"{missing}\"; it must name {string.Join(", ", OverrideFields)}");
            return null;
        }

        if (records.Count < 2)
        {
            problem = new VaultProblem(null, "the file has a header but no records");
            return null;
        }

        foreach (var row in records.Skip(1))
        {
            if (row.Fields.Count != header.Count)
            {
                problem = new VaultProblem(row.Line, $"{row.Fields.Count} fields where the header has {header.Count}");
                return null;
            }

            foreach (var field in OverrideFields)
            {
                if (!OverrideField(field, row.Fields[positions[field]], row.Line, out problem))
                {
                    return null;
                }
            }
        }

        return new VaultContent("csv", records.Count - 1, null, null);
    }

    private static bool OverrideField(string field, string value, int line, out VaultProblem? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = new VaultProblem(line, $"field \"{field}\" is empty");
            return false;
        }

        if (field == "when" && !IsTimestampWithOffset(value))
        {
            problem = new VaultProblem(line, $"field \"when\" is \"{value}\", not an ISO 8601 time with an offset such as 2026-03-01T14:05:00+01:00 or 2026-03-01T13:05:00Z");
            return false;
        }

        return true;
    }

    /// <summary>Whether <paramref name="text"/> is an ISO 8601 date and time to the second with a UTC offset (<c>Z</c> or <c>±hh:mm</c>).</summary>
    /// <param name="text">The text.</param>
    public static bool IsTimestampWithOffset(string text) =>
        TimestampPattern().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private static VaultContent? Photo(byte[] content, string? label, out VaultProblem? problem)
    {
        problem = null;
        string format;
        try
        {
            // Decoded whole, by the decoder and limits training uses: a photo stored here is a photo training reads.
            PhotoDecoder.Decode(content, out var info);
            format = info.Format;
        }
        catch (PhotoFormatException error)
        {
            problem = new VaultProblem(null, error.Message);
            return null;
        }

        if (!IsValidLabel(label))
        {
            problem = new VaultProblem(null, label is null
                ? "the photo has no label: give a sidecar NAME.label, put it in a folder named after its label, or pass --label"
                : $"label \"{label}\" is not 1 to 64 letters, digits, '_', '.' or '-' starting with a letter or digit");
            return null;
        }

        return new VaultContent(format, 1, label, null);
    }

    private static VaultContent? Force(byte[] content, string? label, out VaultProblem? problem)
    {
        if (label is not null && !IsValidLabel(label))
        {
            problem = new VaultProblem(null, $"label \"{label}\" is not 1 to 64 letters, digits, '_', '.' or '-' starting with a letter or digit");
            return null;
        }

        if (Lines(content, out problem) is not { } lines)
        {
            return null;
        }

        if (!lines[0].StartsWith(SampleRatePrefix, StringComparison.Ordinal)
            || !double.TryParse(lines[0].AsSpan(SampleRatePrefix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate)
            || !double.IsFinite(rate) || rate <= 0)
        {
            problem = new VaultProblem(1, $"the first line must be \"{SampleRatePrefix}N\" with N the sample rate in hertz, a positive number");
            return null;
        }

        // The header and samples are read by the reader training uses (CsvRecords), after the sample-rate line.
        if (lines.Count < 2 || ReadCsv(content, 1, out problem) is not { } records)
        {
            problem ??= new VaultProblem(null, "no header line after the sample rate");
            return null;
        }

        var header = records[0].Fields;
        if (header.Count < 2 || header[0] != TimeColumn)
        {
            problem = new VaultProblem(records[0].Line, $"the header must start with \"{TimeColumn}\" (time in seconds) and name at least one measured channel");
            return null;
        }

        if (header.FirstOrDefault(name => !ColumnPattern().IsMatch(name)) is { } badName)
        {
            problem = new VaultProblem(records[0].Line, $"column name \"{badName}\" is not letters, digits and '_'");
            return null;
        }

        if (header.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } twice)
        {
            problem = new VaultProblem(records[0].Line, $"column \"{twice.Key}\" appears twice in the header");
            return null;
        }

        if (records.Count < 3)
        {
            problem = new VaultProblem(null, "fewer than two samples");
            return null;
        }

        var interval = 1 / rate;
        var previous = double.NaN;
        foreach (var row in records.Skip(1))
        {
            var fields = row.Fields;
            if (fields.Count != header.Count)
            {
                problem = new VaultProblem(row.Line, $"{fields.Count} fields where the header has {header.Count}");
                return null;
            }

            for (int column = 0; column < fields.Count; column++)
            {
                if (!double.TryParse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                {
                    problem = new VaultProblem(row.Line, $"column \"{header[column]}\" is \"{fields[column]}\", not a finite number");
                    return null;
                }

                if (column == 0)
                {
                    if (!double.IsNaN(previous))
                    {
                        var step = value - previous;
                        if (step <= 0)
                        {
                            problem = new VaultProblem(row.Line, $"time {fields[column]} s does not increase (previous {previous.ToString("R", CultureInfo.InvariantCulture)} s)");
                            return null;
                        }

                        if (Math.Abs(step - interval) > SampleIntervalTolerance * interval)
                        {
                            problem = new VaultProblem(row.Line, $"time step {step.ToString("G6", CultureInfo.InvariantCulture)} s is not 1/{rate.ToString(CultureInfo.InvariantCulture)} Hz = {interval.ToString("G6", CultureInfo.InvariantCulture)} s within {SampleIntervalTolerance:P0} (a gap or a wrong sample rate)");
                            return null;
                        }
                    }

                    previous = value;
                }
            }
        }

        return new VaultContent("csv", records.Count - 1, label, rate);
    }

    /// <summary>The file's lines, strictly UTF-8, without a leading byte-order mark, line ends or a final empty line.</summary>
    private static List<string>? Lines(byte[] content, out VaultProblem? problem)
    {
        problem = null;
        var lines = new List<string>();
        var start = content.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        while (start < content.Length)
        {
            var end = Array.IndexOf(content, (byte)'\n', start);
            var stop = end < 0 ? content.Length : end;
            var length = stop - start;
            if (length > 0 && content[stop - 1] == '\r')
            {
                length--;
            }

            string line;
            try
            {
                line = StrictUtf8.GetString(content, start, length);
            }
            catch (DecoderFallbackException)
            {
                problem = new VaultProblem(lines.Count + 1, "not valid UTF-8");
                return null;
            }

            if (line.Contains('\0', StringComparison.Ordinal))
            {
                problem = new VaultProblem(lines.Count + 1, "contains a NUL character (a binary file?)");
                return null;
            }

            lines.Add(line);
            start = end < 0 ? content.Length : end + 1;
        }

        if (lines.Count == 0)
        {
            problem = new VaultProblem(null, "the file is empty");
            return null;
        }

        return lines;
    }

    private static JsonDocument? ParseObject(string line, int number, out VaultProblem? problem)
    {
        problem = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException error)
        {
            problem = new VaultProblem(number, line.Length == 0 ? "empty line in JSON lines" : $"not JSON: {error.Message}");
            return null;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            problem = new VaultProblem(number, "a JSON line must be an object");
            return null;
        }

        return document;
    }

    /// <summary>The file's CSV records by the shared reader (<see cref="CsvRecords"/>), at least a header.</summary>
    private static IReadOnlyList<CsvRecord>? ReadCsv(byte[] content, int skipLines, out VaultProblem? problem)
    {
        problem = null;
        try
        {
            var records = CsvRecords.Read(content, skipLines);
            return records.Count > 0 ? records : null;
        }
        catch (CsvFormatException error)
        {
            problem = new VaultProblem(error.Line, error.Message);
            return null;
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ColumnPattern();
}
