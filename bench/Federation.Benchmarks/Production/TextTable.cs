namespace Federation.Benchmarks.Production;

/// <summary>A plain text table: columns as wide as their widest cell, text left, figures right.</summary>
internal sealed class TextTable(params string[] headings)
{
    private readonly List<string[]> rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != headings.Length)
        {
            throw new ArgumentException($"The table has {headings.Length} columns, the row {cells.Length}.", nameof(cells));
        }

        rows.Add(cells);
    }

    public void Print()
    {
        var widths = headings.Select((heading, column) => rows.Select(row => row[column].Length).Append(heading.Length).Max()).ToArray();
        Console.WriteLine(Line(headings, widths, rightAlign: false));
        Console.WriteLine(string.Join(" | ", widths.Select(width => new string('-', width))));
        foreach (var row in rows)
        {
            Console.WriteLine(Line(row, widths, rightAlign: true));
        }
    }

    // The first column names the measurement; the others hold figures.
    private static string Line(string[] cells, int[] widths, bool rightAlign) =>
        string.Join(" | ", cells.Select((cell, column) => rightAlign && column > 0 ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column]))).TrimEnd();
}
