using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PiCluster.Clusters;

/// <summary>
/// A Kubernetes version as the cluster file names it: a minor channel ("1.34") or a full patch version ("1.34.2").
/// A minor channel sorts before every patch of that minor.
/// </summary>
public sealed class KubernetesVersion : IComparable<KubernetesVersion>, IEquatable<KubernetesVersion>
{
    /// <summary>The oldest minor PiCluster supports. Older minors are out of upstream support and PiCluster's steps are not tested with them.</summary>
    public const int MinimumMinor = 28;

    private static readonly Regex Syntax = new(@"^1\.(0|[1-9][0-9]{0,2})(?:\.(0|[1-9][0-9]{0,3}))?\z", RegexOptions.CultureInvariant);

    private KubernetesVersion(int minor, int? patch)
    {
        Minor = minor;
        Patch = patch;
    }

    /// <summary>Always 1.</summary>
    public int Major => 1;

    /// <summary>The minor version, e.g. 34.</summary>
    public int Minor { get; }

    /// <summary>The patch version, or null for a minor channel.</summary>
    public int? Patch { get; }

    /// <summary>True when a full patch version was given.</summary>
    public bool IsPatch => Patch.HasValue;

    /// <summary>The minor channel as pkgs.k8s.io names it, e.g. "v1.34".</summary>
    public string Channel => "v1." + Minor.ToString(CultureInfo.InvariantCulture);

    /// <summary>An apt version pattern for pinning kubeadm/kubelet/kubectl, e.g. "1.34.2-*" or "1.34.*".</summary>
    public string AptVersionPattern => IsPatch ? ToString() + "-*" : ToString() + ".*";

    /// <summary>Parses "1.N" or "1.N.P".</summary>
    /// <exception cref="FormatException">The text is not such a version; the message says why.</exception>
    public static KubernetesVersion Parse(string text) =>
        TryParse(text, out var version, out var problem) ? version! : throw new FormatException(problem);

    /// <summary>Parses "1.N" or "1.N.P"; false when the text is not such a version.</summary>
    public static bool TryParse(string? text, out KubernetesVersion? version) => TryParse(text, out version, out _);

    /// <summary>Parses, and on failure says what is wrong with the text (for error messages).</summary>
    internal static bool TryParse(string? text, out KubernetesVersion? version, out string problem)
    {
        version = null;
        problem = "";
        var match = Syntax.Match(text ?? "");
        if (match.Success)
        {
            version = new KubernetesVersion(
                int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : null);
            return true;
        }
        var hint = text is not null && text.StartsWith("v", StringComparison.OrdinalIgnoreCase) && TryParse(text.Substring(1), out var withoutV, out _)
            ? $"write '{withoutV}' without the 'v'"
            : "write a minor channel like '1.34' or a patch version like '1.34.2'";
        problem = $"Malformed Kubernetes version '{ValueRules.Show(text ?? "")}': {hint}.";
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => IsPatch
        ? string.Format(CultureInfo.InvariantCulture, "1.{0}.{1}", Minor, Patch)
        : string.Format(CultureInfo.InvariantCulture, "1.{0}", Minor);

    /// <inheritdoc />
    public int CompareTo(KubernetesVersion? other) => other is null ? 1
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : (Patch ?? -1).CompareTo(other.Patch ?? -1);

    /// <inheritdoc />
    public bool Equals(KubernetesVersion? other) => other is not null && Minor == other.Minor && Patch == other.Patch;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as KubernetesVersion);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Minor, Patch);

    /// <summary>Equality.</summary>
    public static bool operator ==(KubernetesVersion? left, KubernetesVersion? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(KubernetesVersion? left, KubernetesVersion? right) => !(left == right);

    /// <summary>Ordering.</summary>
    public static bool operator <(KubernetesVersion? left, KubernetesVersion? right) => Compare(left, right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(KubernetesVersion? left, KubernetesVersion? right) => Compare(left, right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(KubernetesVersion? left, KubernetesVersion? right) => Compare(left, right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(KubernetesVersion? left, KubernetesVersion? right) => Compare(left, right) >= 0;

    private static int Compare(KubernetesVersion? left, KubernetesVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}
