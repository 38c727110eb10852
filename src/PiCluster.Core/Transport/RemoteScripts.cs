using System;
using System.Collections.Concurrent;
using System.IO;

namespace PiCluster.Transport;

/// <summary>
/// The bash scripts that run on nodes. They live as plain files in src/PiCluster.Core/Scripts (so shellcheck can
/// check them) and ship embedded in the assembly.
/// </summary>
public static class RemoteScripts
{
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>The text of Scripts/<paramref name="name"/>.sh.</summary>
    public static string Load(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(RemoteScripts).Assembly.GetManifestResourceStream($"PiCluster.Scripts.{n}.sh")
            ?? throw new ArgumentException($"No remote script named '{n}'.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
