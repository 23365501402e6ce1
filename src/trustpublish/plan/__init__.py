"""Planning: schedule.yaml, the timetable and the planner. Pure: no files written, no clock read."""
