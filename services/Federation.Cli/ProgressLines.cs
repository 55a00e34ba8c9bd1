using System.Globalization;

namespace Federation.Cli;

/// <summary>
/// Progress of a long operation as plain lines such as <c>exported 120/800 events</c> on standard error: readable in a
/// terminal and in a log, and never in the standard output that scripts parse. One line per tenth of the work at most,
/// and always the last, so a large export does not flood the log.
/// </summary>
/// <param name="writer">Standard error, or a test's writer.</param>
/// <param name="verb">What is being done, e.g. <c>exported</c>.</param>
/// <param name="noun">What is counted, e.g. <c>events</c>.</param>
public sealed class ProgressLines(TextWriter writer, string verb, string noun)
{
    private long lastTenth = -1;
    private long lastDone = -1;

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/>; prints only when a new tenth is reached or all is done.</summary>
    public void Report(long done, long total)
    {
        var tenth = total <= 0 ? 10 : done * 10 / total;
        if (done == lastDone || (tenth == lastTenth && done < total))
        {
            return;
        }

        (lastTenth, lastDone) = (tenth, done);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {done}/{total} {noun}"));
    }

    /// <summary>Reports a count whose total is not known in advance, e.g. <c>read 2000 events</c>.</summary>
    public void Report(long done)
    {
        if (done != lastDone)
        {
            lastDone = done;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {done} {noun}"));
        }
    }
}
