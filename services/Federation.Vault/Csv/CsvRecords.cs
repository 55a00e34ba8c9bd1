using System.Text;
using nietras.SeparatedValues;

namespace Federation.Vault.Csv;

/// <summary>A CSV file the vault will not read, with the 1-based line at fault.</summary>
/// <param name="line">The line the faulty record starts on.</param>
/// <param name="message">The problem.</param>
public sealed class CsvFormatException(int line, string message) : Exception(message)
{
    /// <summary>The 1-based line the faulty record starts on.</summary>
    public int Line { get; } = line;
}

/// <summary>One CSV record: the line it is on and its fields, unquoted.</summary>
/// <param name="Line">Its 1-based line in the file.</param>
/// <param name="Fields">Its fields, with RFC 4180 quoting removed.</param>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// The one CSV reader of the vault, for import validation and training alike, so a file the vault accepts is read the
/// same way when it is trained on (a quoted header included). Records are split by Sep (RFC 4180: comma-separated,
/// fields optionally in double quotes, a quote inside one doubled); on top of Sep, which repairs malformed quoting
/// rather than refusing it, the quoting is checked strictly and a quoted field may not span lines.
/// </summary>
public static class CsvRecords
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads every record of a UTF-8 CSV file (a leading byte-order mark is skipped).</summary>
    /// <param name="content">The file's bytes.</param>
    /// <param name="skipLines">Leading lines that are not CSV (a force file's <c># sample_rate_hz=</c> line); line numbers still count them.</param>
    /// <returns>The records in file order, the header (when the file has one) first.</returns>
    /// <exception cref="CsvFormatException">The file is not UTF-8, or a field's quoting is malformed.</exception>
    public static IReadOnlyList<CsvRecord> Read(byte[] content, int skipLines = 0)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(skipLines);
        var start = content.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        for (int skipped = 0; skipped < skipLines && start < content.Length; skipped++)
        {
            var end = Array.IndexOf(content, (byte)'\n', start);
            start = end < 0 ? content.Length : end + 1;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(content, start, content.Length - start);
        }
        catch (DecoderFallbackException)
        {
            throw new CsvFormatException(skipLines + 1, "not valid UTF-8");
        }

        var records = new List<CsvRecord>();
        using var reader = Sep.New(',').Reader(options => options with { HasHeader = false, DisableColCountCheck = true }).FromText(text);
        foreach (var row in reader)
        {
            // Sep 0.18 numbers the first row from line 2 when it is not read as a header; it is on the first line.
            int line = skipLines + (records.Count == 0 ? 1 : row.LineNumberFrom);
            var fields = new string[row.ColCount];
            for (int column = 0; column < fields.Length; column++)
            {
                fields[column] = Unquote(row[column].Span, line);
            }

            records.Add(new CsvRecord(line, fields));
        }

        return records;
    }

    /// <summary>A field as Sep split it, quotes still on, checked against RFC 4180 and unquoted.</summary>
    private static string Unquote(ReadOnlySpan<char> raw, int line)
    {
        if (raw.IsEmpty || raw[0] != '"')
        {
            return raw.Contains('"') ? throw new CsvFormatException(line, "a quote inside an unquoted field") : raw.ToString();
        }

        var field = new StringBuilder(raw.Length);
        for (int index = 1; index < raw.Length; index++)
        {
            char c = raw[index];
            if (c is '\n' or '\r')
            {
                break;
            }

            if (c != '"')
            {
                field.Append(c);
            }
            else if (index + 1 < raw.Length && raw[index + 1] == '"')
            {
                field.Append('"');
                index++;
            }
            else if (index + 1 < raw.Length)
            {
                throw new CsvFormatException(line, "text after a closing quote");
            }
            else
            {
                return field.ToString();
            }
        }

        throw new CsvFormatException(line, "a quoted field is not closed on its line");
    }
}
