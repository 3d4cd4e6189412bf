// /proc/net/raw and /proc/net/raw6 as read (kernel 6.18) in a namespace where a process held raw
// sockets of ICMP (receive buffer 4 KiB, 500 echo replies sent to it unread), TCP, ICMPv6 (300
// unread) and UDP over IPv6, next to a namespace whose ICMP/TCP sockets had dropped nothing.

/** ICMP (inode 55620, 490 drops) and TCP (inode 55622) over IPv4. */
export const RAW_WITH_DROPS =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  '  23: 00000000:0001 00000000:0000 07 00000000:00002080 00:00000000 00000000     0        0 55620 2 00000000eb906139 490\n' +
  ' 181: 00000000:0006 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55622 2 000000009a3bf8fa 0\n';

/** ICMPv6 (inode 55621, 290 drops) and UDP over IPv6 (inode 55623). */
export const RAW6_WITH_DROPS =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  '  216: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00002080 00:00000000 00000000     0        0 55621 2 000000004dccab3c 290\n' +
  '  250: 00000000000000000000000000000000:0011 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55623 2 000000003e7d74a2 0\n';

/** Another namespace: ICMP (27762) and TCP (27764), no drops. */
export const RAW_NO_DROPS =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  '  24: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 27762 2 000000003f16e123 0\n' +
  ' 197: 00000000:0006 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 27764 2 00000000eb906139 0\n';

/** Header only: no raw socket in the namespace. */
export const RAW6_EMPTY =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n';
