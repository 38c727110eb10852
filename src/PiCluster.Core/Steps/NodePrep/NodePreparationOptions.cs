using System;
using System.Collections.Generic;
using PiCluster.Clusters;

namespace PiCluster.Steps.NodePrep;

/// <summary>Settings of Initialize-PiNode (and the defaults of the single-purpose cmdlets).</summary>
public sealed class NodePreparationOptions
{
    /// <summary>Debian's pool, as systemd-timesyncd uses by default.</summary>
    public static readonly IReadOnlyList<string> DefaultNtpServers = new[] { "0.debian.pool.ntp.org", "1.debian.pool.ntp.org" };

    /// <summary>Used when the NTP servers do not answer.</summary>
    public static readonly IReadOnlyList<string> DefaultFallbackNtpServers = new[] { "2.debian.pool.ntp.org", "3.debian.pool.ntp.org" };

    /// <summary>LAN settings overriding the cluster file's lan section; null uses the cluster file.</summary>
    public LanSettings? Lan { get; set; }

    /// <summary>How long a node waits for confirmation before restoring its previous network configuration.</summary>
    public TimeSpan NetworkRollbackAfter { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>NTP servers.</summary>
    public IReadOnlyList<string> NtpServers { get; set; } = DefaultNtpServers;

    /// <summary>Fallback NTP servers.</summary>
    public IReadOnlyList<string> FallbackNtpServers { get; set; } = DefaultFallbackNtpServers;

    /// <summary>The bound on waiting for clock synchronisation.</summary>
    public TimeSpan TimeSyncTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Do not wait for clock synchronisation.</summary>
    public bool SkipTimeSyncWait { get; set; }

    /// <summary>Switch iptables to this backend; null leaves it.</summary>
    public IptablesBackend? IptablesBackend { get; set; }

    /// <summary>The bound on a reboot.</summary>
    public TimeSpan RebootTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Do not reboot even when a change needs it.</summary>
    public bool NoReboot { get; set; }
}
