#Requires -Version 7.4
<#
.SYNOPSIS
    Writes a simulated fleet for tests/bench/fleet: keys, sshd_config, cluster file, known_hosts, and each node's canned
    converged facts.
.DESCRIPTION
    Node N is nodeNNN at 127.0.1.N (node001 the control plane, the rest workers). Its facts are what the product's own
    renderers say a converged node has (HostsFile, BootCommandLine, TimeSyncStep.DropIn, KernelNetworkingFiles), so the
    real planning code finds nothing to change; they are in nodes/ADDRESS/facts, one file per step as its fact script
    prints them (files base64, as prep-lib.sh's picluster_file_section writes them), and a preflight answer.
    Runs in a pwsh of its own: it loads PiCluster.Core.dll directly (the module's own load context hides its types).
#>
param(
    [Parameter(Mandatory)] [string] $Directory,
    [ValidateRange(1, 250)] [int] $Count = 200,
    [string[]] $Hang = @(),
    # Nodes whose hostname is still a fresh Pi's: a run plans to rename them, and the node refuses the change.
    [string[]] $Drift = @(),
    [Parameter(Mandatory)] [string] $NodeCommand,
    # Seconds each command of a node waits before it runs (a board's round trip); 0 answers at once.
    [ValidateRange(0, 60)] [double] $Latency = 0
)
$ErrorActionPreference = 'Stop'
$Hang = @($Hang | ForEach-Object { $_ -split ',' }); $Drift = @($Drift | ForEach-Object { $_ -split ',' })
$repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
Add-Type -Path (Join-Path $repoRoot 'bin/Dependencies/PiCluster.Core.dll')
$utf8 = [Text.UTF8Encoding]::new($false)

function Write-Text([string] $Path, [string] $Text) { [IO.File]::WriteAllText($Path, $Text, $utf8) }
function Section([string] $Name, [string] $Value) { "@@ $Name`n$Value`n" }
function FileSection([string] $Name, [string] $Content) { "@@ $Name`n$([Convert]::ToBase64String($utf8.GetBytes($Content)))`n" }

foreach ($key in 'host_key', 'client_key') {
    & ssh-keygen -q -t ed25519 -N '' -C pifleet -f (Join-Path $Directory $key)
    if ($LASTEXITCODE) { throw "ssh-keygen $key failed" }
}
$hostKey = (Get-Content (Join-Path $Directory 'host_key.pub') -Raw).Trim().Split(' ')
Copy-Item (Join-Path $Directory 'client_key.pub') (Join-Path $Directory 'authorized_keys')
New-Item -ItemType Directory (Join-Path $Directory 'bin') | Out-Null
Copy-Item (Join-Path $PSScriptRoot 'sudo') (Join-Path $Directory 'bin/sudo')

Write-Text (Join-Path $Directory 'sshd_config') (@(
    'ListenAddress 0.0.0.0:22', "HostKey $Directory/host_key", "AuthorizedKeysFile $Directory/authorized_keys",
    "PidFile $Directory/sshd.pid", 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'LogLevel ERROR',
    # Every node may connect at once (-ThrottleLimit 200): no early drops of unauthenticated connections.
    'MaxStartups 1000', 'MaxSessions 50',
    "ForceCommand $NodeCommand", "SetEnv HOME=$Directory FLEET_DIR=$Directory$(if ($Latency) { " FLEET_LATENCY=$([string]::Format([cultureinfo]::InvariantCulture, '{0}', $Latency))" })"
) -join "`n") + "`n"
Write-Text (Join-Path $Directory 'ssh_config') "UserKnownHostsFile $Directory/known_hosts`nGlobalKnownHostsFile /dev/null`nLogLevel ERROR`n"

$nodes = foreach ($i in 1..$Count) { [pscustomobject]@{ Name = 'node{0:000}' -f $i; Address = "127.0.1.$i"; Index = $i } }
$all = [Collections.Generic.List[ValueTuple[string, string]]]::new()
foreach ($n in $nodes) { $all.Add([ValueTuple[string, string]]::new($n.Name, $n.Address)) }

Write-Text (Join-Path $Directory 'known_hosts') (($nodes | ForEach-Object { "$($_.Address) $($hostKey[0]) $($hostKey[1])" }) -join "`n") + "`n"
$yaml = @('# Written by tests/bench/fleet/New-PiFleet.ps1: simulated nodes on loopback.', 'name: fleet', 'kubernetes:', '  version: "1.34"',
    'network:', '  plugin: flannel', 'runtime:', '  name: containerd', 'ssh:', "  user: $([Environment]::UserName)", '  port: 22',
    "  identityFile: $Directory/client_key", "  configFile: $Directory/ssh_config", 'nodes:')
foreach ($n in $nodes) {
    $yaml += "  - name: $($n.Name)", "    address: $($n.Address)", "    role: $(if ($n.Index -eq 1) { 'control-plane' } else { 'worker' })"
}
Write-Text (Join-Path $Directory 'cluster.yaml') (($yaml -join "`n") + "`n")

# The converged facts, as the product's renderers make them.
$piHosts = "127.0.0.1`tlocalhost`n::1`t`tlocalhost ip6-localhost ip6-loopback`nff02::1`t`tip6-allnodes`nff02::2`t`tip6-allrouters`n`n127.0.1.1`traspberrypi`n"
$piCmdline = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash`n"
$piFstab = "proc            /proc           proc    defaults          0       0`nLABEL=bootfs    /boot/firmware  vfat    defaults          0       2`n"
$cmdline = $utf8.GetString([PiCluster.Steps.NodePrep.BootCommandLine]::EditCmdlineTxt($utf8.GetBytes($piCmdline)))
$options = [PiCluster.Steps.NodePrep.NodePreparationOptions]::new()
$dropIn = [PiCluster.Steps.NodePrep.TimeSyncStep]::new($options.NtpServers, $options.FallbackNtpServers, [TimeSpan]::FromSeconds(1), $false).DropIn
$bootId = (Get-Content /proc/sys/kernel/random/boot_id -Raw).Trim()
$shared = @{
    'TimeSync'         = (FileSection dropin $dropIn) + (Section installed yes) + (Section enabled enabled) + (Section active active) +
                         (Section other_daemon '') + (Section ntp yes) + (Section synchronized yes)
    'Cgroup'           = (Section bootfile /boot/firmware/cmdline.txt) + (FileSection content $cmdline) + (Section update_grub '') +
                         (Section grub_cfg_has_flags no) + (Section proc_cmdline $cmdline.TrimEnd()) + (Section controllers 'cpuset cpu io memory pids')
    'Swap'             = (Section swaps '') + (FileSection fstab $piFstab) + (Section units 'dphys-swapfile.service masked inactive') +
                         (Section masked_by_picluster dphys-swapfile.service)
    'KernelNetworking' = (FileSection modules ([PiCluster.Steps.NodePrep.KernelNetworkingFiles]::ModulesFile)) +
                         (FileSection sysctl ([PiCluster.Steps.NodePrep.KernelNetworkingFiles]::SysctlFile)) + (Section loaded "overlay`nbr_netfilter") +
                         (Section sysctls ((@([PiCluster.Steps.NodePrep.KernelNetworkingFiles]::Sysctls) | ForEach-Object { "$_=1" }) -join "`n")) +
                         (Section iptables_alternative /usr/sbin/iptables-nft) + (Section iptables_version 'iptables v1.8.9 (nf_tables)') + (Section legacy_available yes)
    'Restart'          = (Section boot_id $bootId) + (Section bootfile /boot/firmware/cmdline.txt) + (Section backup '') + (Section pending '')
}
foreach ($n in $nodes) {
    $dir = Join-Path $Directory "nodes/$($n.Address)"
    New-Item -ItemType Directory (Join-Path $dir facts) -Force | Out-Null
    if ($n.Name -in $Hang) { Write-Text (Join-Path $dir hang) '' }
    $hosts = $utf8.GetString([PiCluster.Steps.NodePrep.HostsFile]::Edit($utf8.GetBytes($piHosts), $n.Name, $all))
    $hostname = if ($n.Name -in $Drift) { 'raspberrypi' } else { $n.Name }
    Write-Text (Join-Path $dir facts/Hostname) ((Section hostname $hostname) + (FileSection etc_hostname "$hostname`n") + (FileSection etc_hosts $hosts))
    foreach ($step in $shared.Keys) { Write-Text (Join-Path $dir "facts/$step") $shared[$step] }
    # Test-PiNode's one script (plain text sections, as preflight-facts.sh prints them): a converged Pi 4.
    Write-Text (Join-Path $dir facts/preflight) ((@(
        '@@ arch', 'arm64', '@@ kernel_arch', 'aarch64', '@@ kernel', '6.6.51+rpt-rpi-v8', '@@ os', 'Debian GNU/Linux 12 (bookworm)',
        '@@ model', 'Raspberry Pi 4 Model B Rev 1.5', '', '@@ memtotal_kib', '3882564', '@@ cgroup_fs', 'cgroup2fs',
        '@@ cgroup_controllers', 'cpuset cpu io memory pids', '', '@@ cgroup_v1 !missing', '@@ cmdline', $cmdline.TrimEnd(), '',
        '@@ resolv_conf', 'nameserver 192.168.1.1', '', '@@ systemd_resolv', 'absent', '@@ swaps', '@@ hostname', $n.Name,
        '@@ machine_id', ('{0:x32}' -f $n.Index), '', '@@ addresses', "eth0 192.168.50.$($n.Index)",
        '@@ ntp_synchronized', 'yes', '@@ time_service', 'systemd-timesyncd', '@@ apt_locks',
        '@@ root_free_kib', '25000000', '@@ boot_files', '/boot/firmware/cmdline.txt', '@@ modules', 'overlay loaded', 'br_netfilter loaded',
        '@@ sudo', 'nopasswd') -join "`n") + "`n")
}
