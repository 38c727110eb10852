using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace PiCluster.Engine;

/// <summary>Runs work for many nodes in parallel, at most a given number at a time.</summary>
internal static class Throttled
{
    /// <summary>Runs <paramref name="body"/> for every item, at most <paramref name="limit"/> at once.</summary>
    public static async Task ForEachAsync<T>(IEnumerable<T> items, int limit, Func<T, Task> body, CancellationToken cancellation)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, limit));
        async Task One(T item)
        {
            await gate.WaitAsync(cancellation).ConfigureAwait(false);
            try { await body(item).ConfigureAwait(false); }
            finally { gate.Release(); }
        }
        await Task.WhenAll(items.Select(One).ToList()).ConfigureAwait(false);
    }
}
