using System;
using System.Security.Cryptography;

namespace PiCluster.ControlPlane;

/// <summary>The outcome of checking a manifest's bytes.</summary>
public enum ManifestCheckStatus
{
    /// <summary>The SHA-256 matches the expected one.</summary>
    Verified,

    /// <summary>The SHA-256 differs: the file changed upstream, the mirror serves something else, or it was tampered with.</summary>
    Mismatch,

    /// <summary>No expected SHA-256 is known, so the bytes cannot be trusted.</summary>
    NoExpectedHash,
}

/// <summary>A manifest's check: the status, both hashes and a message that says what to do.</summary>
/// <param name="Status">Verified, Mismatch or NoExpectedHash.</param>
/// <param name="ActualSha256">The SHA-256 of the bytes (lower-case hex).</param>
/// <param name="ExpectedSha256">The hash they had to have, or null.</param>
/// <param name="Message">For the error record or -Verbose.</param>
public sealed record ManifestCheck(ManifestCheckStatus Status, string ActualSha256, string? ExpectedSha256, string Message)
{
    /// <summary>True only when verified: a manifest is applied with cluster-admin rights, so an unchecked one is refused.</summary>
    public bool Passed => Status == ManifestCheckStatus.Verified;
}

/// <summary>
/// Checks downloaded or read manifests against their expected SHA-256, the same way for pinned and cluster-file manifests.
/// Messages write hashes as "sha256:HEX", which the run's redactor leaves alone (64 bare hex digits look like a certificate key).
/// </summary>
public static class ManifestIntegrity
{
    /// <summary>SHA-256 of the bytes, lower-case hex (as sha256sum prints it).</summary>
    public static string Sha256(byte[] content) => Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

    /// <summary>Checks <paramref name="content"/> from <paramref name="source"/>.</summary>
    public static ManifestCheck Check(ManifestSource source, byte[] content)
    {
        var actual = Sha256(content);
        var expected = source.ExpectedSha256?.ToLowerInvariant();
        if (expected is null)
        {
            var what = source.Origin == ManifestOrigin.Pinned ? $"{source.Plugin} {source.Pin.Version}'s release manifest" : $"the manifest {source.Location}";
            return new ManifestCheck(ManifestCheckStatus.NoExpectedHash, actual, null,
                $"PiCluster has no SHA-256 to check {what} against: verify the file (its SHA-256 is sha256:{actual}) and set network.manifestSha256 to the hash you trust.");
        }
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
            return new ManifestCheck(ManifestCheckStatus.Mismatch, actual, expected,
                $"The manifest {source.Location} has SHA-256 sha256:{actual}, not the expected sha256:{expected}: it is not the file that was pinned; nothing was applied. Check where it comes from before changing network.manifestSha256.");
        return new ManifestCheck(ManifestCheckStatus.Verified, actual, expected, $"The manifest {source.Location} has the expected SHA-256 sha256:{actual}.");
    }
}
