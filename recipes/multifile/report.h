#ifndef REPORT_H
#define REPORT_H

void report(const char *name, long area2, long perimeter);

#endif
