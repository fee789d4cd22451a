ALTER TABLE `teammate_status` ADD `protocol` integer;
