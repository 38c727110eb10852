using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace PiCluster.Transport;

/// <summary>
/// Reads a stream of remote output to its end while keeping at most a fixed amount of it: the head up to the cap, and
/// the last few KiB (where the session's exit-code trailer and a script's last words are). What lies between is dropped
/// and replaced by a note, so a command that prints gigabytes cannot exhaust this machine's memory.
/// </summary>
public static class BoundedCapture
{
    /// <summary>The most characters of one stream of one command that are kept (8 MiB).</summary>
    public const int DefaultLimit = 8 * 1024 * 1024;

    /// <summary>How much of the end of a stream is kept beyond the limit.</summary>
    public const int TailLength = 64 * 1024;

    /// <summary>The note put where output was dropped.</summary>
    public static string Note(long dropped, int limit) =>
        string.Format(CultureInfo.InvariantCulture, "\n[PiCluster: {0} characters of output dropped here: a command's output is kept up to {1} MiB, and its last {2} KiB]\n",
            dropped, limit / (1024 * 1024), TailLength / 1024);

    /// <summary>Reads <paramref name="reader"/> to its end; keeps the first <paramref name="limit"/> characters and the last <see cref="TailLength"/>.</summary>
    public static async Task<string> ReadAsync(TextReader reader, int limit = DefaultLimit)
    {
        var head = new StringBuilder();
        var tail = new StringBuilder();
        long dropped = 0;
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
        {
            var offset = 0;
            if (head.Length < limit)
            {
                var take = Math.Min(read, limit - head.Length);
                head.Append(buffer, 0, take);
                offset = take;
            }
            if (offset == read) continue;
            tail.Append(buffer, offset, read - offset);
            if (tail.Length > 2 * TailLength)
            {
                var cut = tail.Length - TailLength;
                dropped += cut;
                tail.Remove(0, cut);
            }
        }
        if (dropped == 0) return head.Append(tail).ToString();
        return head.Append(Note(dropped, limit)).Append(tail).ToString();
    }
}
