#Requires -Version 7.4
<#
.SYNOPSIS
    PiCluster's benchmark against the test lab: prints minimum, median and maximum over several runs.
.DESCRIPTION
    Not a test: it asserts nothing and prints figures (wall time, and SSH connections and round trips per node, read
    from the cost line -Verbose ends each node's run with). Start it through tests/bench/run, which builds, boots a lab
    of three Pi-flavour nodes and stops it again. Measures:
      - Import-Module PiCluster in a fresh pwsh, and the first cmdlet call after it;
      - one small command (Invoke-PiCommand, a connection and one command) per transport, on the same node;
      - cold preparation (Initialize-PiNode, Install-PiContainerRuntime, Install-PiKubernetes) of 1 node and of 3 nodes
        in parallel from the same snapshot (-SkipCold leaves it out: it takes many minutes under emulation);
      - the same three cmdlets converged on 3 prepared nodes, Initialize-PiNode over each transport;
      - a Deploy-PiCluster that makes the cluster on those nodes (once), then Deploy-PiCluster converged and
        Test-PiCluster, and the floor in the same run: one new connection per node and one command that only reads what
        a converged deploy's facts read (the files of every phase, and through admin.conf the nodes and pods), with the
        ratio of the converged deploy to it.
.PARAMETER ClusterFile
    The lab's cluster file (tests/lab/.state/cluster.yaml).
.PARAMETER Runs
    Runs per measurement (the cold preparation runs once per size: each run needs fresh nodes).
.PARAMETER Lab
    The lab script, for resetting nodes to their first-boot snapshot.
#>
param(
    [Parameter(Mandatory)] [string] $ClusterFile,
    [int] $Runs = 5,
    [string] $Lab = (Join-Path $PSScriptRoot '../lab/lab'),
    [switch] $SkipCold
)
$ErrorActionPreference = 'Stop'
$repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = Join-Path $repoRoot 'PiCluster.psd1'
Import-Module $manifest
$nodes = 'node1', 'node2', 'node3'
# The lab's own NTP server: the nodes reach nothing else.
$prepare = @{ NtpServer = '10.0.2.2'; FallbackNtpServer = @(); SkipTimeSyncWait = $true }
$results = [System.Collections.Generic.List[object]]::new()

function Get-Median([double[]] $values) {
    $sorted = @($values | Sort-Object)
    $middle = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# "1-3" (fewest-most over nodes and runs), "3" when all equal, "" when nothing was counted.
function Format-Range([int[]] $Values) {
    if (-not $Values) { return '' }
    $low = ($Values | Measure-Object -Minimum).Minimum
    $high = ($Values | Measure-Object -Maximum).Maximum
    if ($low -eq $high) { "$low" } else { "$low-$high" }
}

function Add-Figure([string] $What, [double[]] $Seconds, [object[]] $Costs = @()) {
    $connections = @($Costs | ForEach-Object Connections)
    $trips = @($Costs | ForEach-Object RoundTrips)
    $results.Add([pscustomobject]@{
        Measurement = $What
        Runs        = $Seconds.Count
        'Min s'     = [math]::Round(($Seconds | Measure-Object -Minimum).Minimum, 2)
        'Median s'  = [math]::Round((Get-Median $Seconds), 2)
        'Max s'     = [math]::Round(($Seconds | Measure-Object -Maximum).Maximum, 2)
        'Conn/node' = Format-Range $connections
        'RT/node'   = Format-Range $trips
    })
    Write-Host ('{0}: median {1:0.00} s' -f $What, (Get-Median $Seconds))
}

# Runs a cmdlet call with -Verbose; returns its wall time, the per-node cost lines ("node1: 1 connection, 3 round trips")
# and where each node's fact round trip spent its time ("node1: 14 fact scripts in 41.2 s; slowest: ...").
function Measure-PiRun([scriptblock] $Call) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $records = & $Call 4>&1 3>$null
    $seconds = $clock.Elapsed.TotalSeconds
    $failed = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    if ($failed) { throw "a benchmark run failed: $($failed[0])" }
    $costs = foreach ($line in $records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) {
        if ($line.Message -match '^(\S+): (\d+) connections?, (\d+) round trips?$') {
            [pscustomobject]@{ Node = $Matches[1]; Connections = [int]$Matches[2]; RoundTrips = [int]$Matches[3] }
        }
    }
    $facts = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '^\S+: \d+ fact scripts' } |
        ForEach-Object Message)
    [pscustomobject]@{ Seconds = $seconds; Costs = @($costs); Facts = $facts }
}

function Invoke-Preparation([string[]] $Names) {
    Initialize-PiNode -Path $ClusterFile -Name $Names @prepare -Verbose -ErrorAction Continue
    Install-PiContainerRuntime -Path $ClusterFile -Name $Names -Verbose -ErrorAction Continue
    Install-PiKubernetes -Path $ClusterFile -Name $Names -Verbose -ErrorAction Continue
}

function Reset-LabNode([string[]] $Names) {
    & $Lab reset @Names | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "lab reset $Names failed" }
}

# Import-Module in a fresh pwsh, and the first call after it (both timed inside that process).
$pwsh = [Environment]::ProcessPath
$pwshArgs = @(if ((Split-Path $pwsh -Leaf) -notlike 'pwsh*') { Join-Path $PSHOME 'pwsh.dll' })
$import = @(); $first = @()
for ($i = 0; $i -lt $Runs; $i++) {
    $out = & $pwsh @pwshArgs -NoProfile -NonInteractive -Command @"
`$c = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; `$a = `$c.Elapsed.TotalSeconds
`$c.Restart(); Get-PiNode -Path '$ClusterFile' | Out-Null; `$b = `$c.Elapsed.TotalSeconds
'{0} {1}' -f `$a, `$b
"@
    $a, $b = ($out | Select-Object -Last 1) -split ' '
    $import += [double]$a; $first += [double]$b
}
Add-Figure 'Import-Module PiCluster (fresh pwsh)' $import
Add-Figure 'first cmdlet after import (Get-PiNode -Path)' $first

# One small command per transport, on the same node: a connection, one command, the close.
foreach ($transport in 'OpenSsh', 'SshNet') {
    $small = @(); $smallCosts = @()
    for ($i = 0; $i -lt $Runs; $i++) {
        $r = Measure-PiRun { Invoke-PiCommand -Path $ClusterFile -Name node1 -Command 'true' -SshTransport $transport -Verbose }
        $small += $r.Seconds; $smallCosts += $r.Costs
    }
    Add-Figure "Invoke-PiCommand true, 1 node ($transport)" $small $smallCosts
}

if (-not $SkipCold) {
    Reset-LabNode $nodes
    $one = Measure-PiRun { Invoke-Preparation 'node1' }
    Add-Figure 'cold preparation, 1 node (3 cmdlets)' @($one.Seconds) $one.Costs
    Reset-LabNode $nodes
    $three = Measure-PiRun { Invoke-Preparation $nodes }
    Add-Figure 'cold preparation, 3 nodes in parallel (3 cmdlets)' @($three.Seconds) $three.Costs
    Write-Host ('cold 3 nodes / 1 node: {0:0.00}' -f ($three.Seconds / $one.Seconds))
}
else {
    # The converged runs below need prepared nodes.
    Invoke-Preparation $nodes | Out-Null
}

# Converged runs; Initialize-PiNode over each transport on the same nodes.
$converged = @(
    @{ Cmdlet = 'Initialize-PiNode'; Transport = 'OpenSsh' }, @{ Cmdlet = 'Initialize-PiNode'; Transport = 'SshNet' },
    @{ Cmdlet = 'Install-PiContainerRuntime'; Transport = 'OpenSsh' }, @{ Cmdlet = 'Install-PiKubernetes'; Transport = 'OpenSsh' })
foreach ($case in $converged) {
    $cmdlet = $case.Cmdlet
    $seconds = @(); $costs = @()
    for ($i = 0; $i -lt $Runs; $i++) {
        $extra = if ($cmdlet -eq 'Initialize-PiNode') { $prepare.Clone() } else { @{} }
        $extra.SshTransport = $case.Transport
        $r = Measure-PiRun { & $cmdlet -Path $ClusterFile -Name $nodes @extra -Verbose | Out-Null }
        $seconds += $r.Seconds; $costs += $r.Costs
    }
    Add-Figure "$cmdlet converged, 3 nodes ($($case.Transport))" $seconds $costs
}

# The whole cluster: one deploy makes it (the nodes are prepared), then converged deploys and checks.
$kubeconfig = Join-Path ([IO.Path]::GetTempPath()) "picluster-bench-$PID.kubeconfig"
$apiServer = (Get-Content -Raw (Join-Path (Split-Path $ClusterFile) 'nodes.json') | ConvertFrom-Json).apiServer
$deploy = @{ KubeconfigPath = $kubeconfig; Server = $apiServer; NtpServer = '10.0.2.2'; FallbackNtpServer = @() }
$made = Measure-PiRun { Deploy-PiCluster -Path $ClusterFile -Name $nodes @deploy -Verbose | Out-Null }
Add-Figure 'Deploy-PiCluster making the cluster, 3 prepared nodes' @($made.Seconds) $made.Costs
$deploySeconds = @(); $deployCosts = @(); $checkSeconds = @(); $floorSeconds = @(); $floorCosts = @()
# What a converged deploy's facts read, in one command as root per node: the files, then the cluster through admin.conf.
$reads = 'cat /etc/hostname /etc/hosts /etc/fstab /proc/swaps /proc/cmdline /boot/firmware/cmdline.txt /sys/fs/cgroup/cgroup.controllers ' +
    '/etc/systemd/timesyncd.conf.d/* /etc/modules-load.d/k8s.conf /etc/sysctl.d/k8s.conf /etc/containerd/config.toml /etc/crictl.yaml ' +
    '/etc/apt/sources.list.d/* /etc/apt/keyrings/* /etc/kubernetes/*.conf /etc/kubernetes/pki/ca.crt >/dev/null 2>&1; ' +
    'if [ -e /etc/kubernetes/admin.conf ]; then kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes,pods -A -o json >/dev/null; fi; true'
for ($i = 0; $i -lt $Runs; $i++) {
    $floor = Measure-PiRun { Invoke-PiCommand -Path $ClusterFile -Name $nodes -AsRoot -Command $reads -Verbose | Out-Null }
    $floorSeconds += $floor.Seconds; $floorCosts += $floor.Costs
    $r = Measure-PiRun { Deploy-PiCluster -Path $ClusterFile -Name $nodes @deploy -Verbose | Out-Null }
    $deploySeconds += $r.Seconds; $deployCosts += $r.Costs
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $failed = @(Test-PiCluster -Path $ClusterFile -Name $nodes -KubeconfigPath $kubeconfig | Where-Object -Not Passed)
    $checkSeconds += $clock.Elapsed.TotalSeconds
    if ($failed) { throw "Test-PiCluster failed: $($failed[0].Node.Name) $($failed[0].Check): $($failed[0].Detail)" }
}
Add-Figure 'floor: 1 connection + 1 read-only command, 3 nodes' $floorSeconds $floorCosts
Add-Figure 'Deploy-PiCluster converged, 3 nodes' $deploySeconds $deployCosts
Add-Figure 'Test-PiCluster, 3 nodes' $checkSeconds
Write-Host ('converged Deploy-PiCluster / floor (medians): {0:0.00}' -f ((Get-Median $deploySeconds) / (Get-Median $floorSeconds)))
Write-Host 'where the last converged Deploy-PiCluster''s fact round trip spent its time, per node:'
$r.Facts | ForEach-Object { Write-Host "  $_" }
Remove-Item -Force -ErrorAction SilentlyContinue $kubeconfig, "$kubeconfig.*"

$results | Format-Table -AutoSize | Out-String -Width 200
