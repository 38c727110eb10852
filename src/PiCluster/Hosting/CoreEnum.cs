using System;

namespace PiCluster.Hosting;

/// <summary>
/// Cmdlet parameters that choose a PiCluster.Core enum value are strings restricted by <c>[ValidateSet]</c> to the
/// enum's names (written with <c>nameof</c>, so a rename breaks the build): a property of the enum type itself would
/// make PowerShell need PiCluster.Core to load the cmdlet class, before the module's load context can provide it.
/// </summary>
internal static class CoreEnum
{
    /// <summary>The enum value named <paramref name="name"/> (already checked by ValidateSet), case-insensitively.</summary>
    public static T Parse<T>(string name) where T : struct, Enum => Enum.Parse<T>(name, ignoreCase: true);

    /// <summary><see cref="Parse{T}"/>, or null when the parameter was not given.</summary>
    public static T? ParseOptional<T>(string? name) where T : struct, Enum => name is null ? null : Parse<T>(name);
}
